/**
 * The one type every layer shares: a QuickBooks record as the API sends it. A leaf module (it
 * imports nothing), so that domain logic, transport and sync can all name a record without
 * depending on each other (test/unit/layers.test.ts keeps it so).
 */
export type QboRecord = Record<string, unknown> & { Id?: string; SyncToken?: string };
