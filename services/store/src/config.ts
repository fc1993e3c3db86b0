import { baseConfigShape, csv, port, urlString } from '@portico/core';
import { z } from 'zod';

/** Every environment variable the store reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  PORT: port(8082),
  MONGO_URL: urlString().default('mongodb://127.0.0.1:27018/'),
  MONGO_DB: z.string().min(1).default('portico_store'),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KEY_MANAGER_URL: urlString().default('http://127.0.0.1:8081'),
  KEY_MANAGER_ADMIN_URL: urlString().default('http://127.0.0.1:8091'),
});

export type Config = z.infer<typeof configSchema>;
