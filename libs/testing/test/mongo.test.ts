// mongoose 9 against the shared FerretDB (scripts/infra.sh start, or MONGO_URL).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import mongoose from 'mongoose';
import { sharedInfra } from '../src/infra.ts';
import { uniqueId } from './support.ts';

describe('mongoose on the shared FerretDB', () => {
  const dbName = uniqueId('portico_test');
  let conn: mongoose.Connection;

  const apiSchema = new mongoose.Schema({
    name: { type: String, required: true, unique: true },
    owner: { type: String, default: null },
    calls: { type: Number, default: 0 },
  });

  before(async () => {
    conn = await mongoose
      .createConnection(sharedInfra().mongoUrl, { dbName, serverSelectionTimeoutMS: 5000 })
      .asPromise();
  });

  after(async () => {
    if (!conn) return;
    await conn.dropDatabase();
    const left = await conn.listDatabases();
    await conn.close();
    assert.ok(!left.databases.some((d) => d.name === dbName), `${dbName} was not dropped`);
  });

  test('create, read, update, delete', async () => {
    const Api = conn.model('CrudApi', apiSchema);
    await Api.init();
    const created = await Api.create({ name: 'petstore' });
    assert.equal((await Api.findById(created._id).lean())?.name, 'petstore');
    await Api.updateOne({ _id: created._id }, { $set: { owner: 'team-a' }, $inc: { calls: 2 } });
    const updated = await Api.findById(created._id).lean();
    assert.equal(updated?.owner, 'team-a');
    assert.equal(updated?.calls, 2);
    assert.equal(await Api.countDocuments(), 1);
    await Api.deleteOne({ _id: created._id });
    assert.equal(await Api.findById(created._id), null);
  });

  test('a unique index refuses a duplicate with code 11000', async () => {
    const Api = conn.model('UniqueApi', apiSchema);
    await Api.init(); // builds the unique index
    await Api.create({ name: 'billing' });
    await assert.rejects(Api.create({ name: 'billing' }), (err: { code?: number }) => {
      assert.equal(err.code, 11000);
      return true;
    });
    assert.equal(await Api.countDocuments({ name: 'billing' }), 1);
  });

  test('a conditional findOneAndUpdate has exactly one winner among 20 concurrent callers', async () => {
    const Api = conn.model('ClaimApi', apiSchema);
    await Api.init();
    const doc = await Api.create({ name: 'claimable' });
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        Api.findOneAndUpdate(
          { _id: doc._id, owner: null },
          { $set: { owner: `worker-${i}` }, $inc: { calls: 1 } },
          { returnDocument: 'after' },
        ).lean(),
      ),
    );
    const winners = results.filter((r) => r !== null);
    assert.equal(winners.length, 1, `winners: ${JSON.stringify(winners.map((w) => w.owner))}`);
    const stored = await Api.findById(doc._id).lean();
    assert.equal(stored?.owner, winners[0]?.owner);
    assert.equal(stored?.calls, 1);
  });

  test('20 concurrent $inc updates all count', async () => {
    const Api = conn.model('CounterApi', apiSchema);
    const doc = await Api.create({ name: 'counted' });
    await Promise.all(
      Array.from({ length: 20 }, () => Api.updateOne({ _id: doc._id }, { $inc: { calls: 1 } })),
    );
    assert.equal((await Api.findById(doc._id).lean())?.calls, 20);
  });

  test('an upsert creates once, then updates', async () => {
    const Api = conn.model('UpsertApi', apiSchema);
    await Api.init();
    for (let i = 0; i < 3; i++) {
      await Api.findOneAndUpdate({ name: 'upserted' }, { $inc: { calls: 1 } }, { upsert: true });
    }
    const all = await Api.find({ name: 'upserted' }).lean();
    assert.equal(all.length, 1);
    assert.equal(all[0]?.calls, 3);
  });
});
