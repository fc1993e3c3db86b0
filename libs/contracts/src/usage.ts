/**
 * The usage API's answers (GET /api/v1/applications/{id}/usage and, for admins,
 * GET /api/v1/apis/{id}/usage; docs/adr/0082): the store builds them, the portal draws them.
 */
export type UsageGranularity = 'minute' | 'hour' | 'day';

export interface UsagePoint {
  /** Start of the minute, hour or day (ISO 8601). */
  time: string;
  requests: number;
  /** 4xx other than 429, including 401/403. */
  errors4xx: number;
  errors5xx: number;
  /** 429: refused by a tier limit. */
  throttled: number;
  latencyP50Ms: number | null;
  latencyP95Ms: number | null;
}

export type UsageTotals = Omit<UsagePoint, 'time'>;

export interface UsageReport {
  granularity: UsageGranularity;
  from: string;
  to: string;
  series: UsagePoint[];
  totals: UsageTotals;
}

export interface ApplicationUsage extends UsageReport {
  applicationId: string;
  lastUsed: Array<{ clientId: string; keyType: 'PRODUCTION' | 'SANDBOX' | null; at: string }>;
}

/** An API across applications (admins), with its busiest applications first (at most 10). */
export interface ApiUsage extends UsageReport {
  apiId: string;
  topApplications: Array<{
    applicationId: string;
    /** null when the application was deleted since. */
    name: string | null;
    requests: number;
  }>;
}
