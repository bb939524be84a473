/**
 * The package's own nodes (test/live/nodes.ts) against a real Intuit sandbox company.
 * Skips itself unless QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN and QBO_REALM_ID are set;
 * run it with `npm run test:live`.
 */
import { defineNodeSuite } from './nodes';
import { liveConfigured, sandboxEnv } from './sandbox';

if (liveConfigured()) {
	defineNodeSuite("The package's nodes on the Intuit sandbox", sandboxEnv);
} else {
	test.skip("The package's nodes on the Intuit sandbox (set QBO_CLIENT_ID, QBO_CLIENT_SECRET, QBO_REFRESH_TOKEN, QBO_REALM_ID)", () =>
		undefined);
}
