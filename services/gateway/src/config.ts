import { baseConfigShape, csv, port, urlString } from '@portico/core';
import { z } from 'zod';

/** Every environment variable the gateway reads. The Helm chart sets exactly these. */
export const configSchema = z.object({
  ...baseConfigShape,
  PORT: port(8080),
  REDIS_URL: urlString().default('redis://127.0.0.1:16379'),
  REDIS_KEY_PREFIX: z.string().default('portico:'),
  KAFKA_BROKERS: csv('127.0.0.1:19092'),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KEY_MANAGER_URL: urlString().default('http://127.0.0.1:8081'),
});

export type Config = z.infer<typeof configSchema>;
