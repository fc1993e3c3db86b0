import { baseConfigShape, csv, port, urlString } from '@portico/core';
import { z } from 'zod';

/** Every environment variable the key-manager reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  PORT: port(8081),
  ADMIN_PORT: port(8091),
  ISSUER: urlString().default('http://127.0.0.1:8081'),
  MONGO_URL: urlString().default('mongodb://127.0.0.1:27018/'),
  MONGO_DB: z.string().min(1).default('portico_key_manager'),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
});

export type Config = z.infer<typeof configSchema>;
