/**
 * The fault matrix of queue mode (issue 13): slow (a 10-minute outage among them), so not part of
 * `npm test`; run with `npm run test:faults`. Each row writes its figures to
 * bench/results/faults.json (test/faults/record.ts).
 */
/** @type {import('jest').Config} */
module.exports = {
	testEnvironment: 'node',
	roots: ['<rootDir>/test/faults'],
	testMatch: ['**/*.faults.ts'],
	transform: { '^.+\\.ts$': ['ts-jest', { diagnostics: false }] },
	testTimeout: 60 * 60_000,
	// One queue-mode stack at a time: the machine has two cores.
	maxWorkers: 1,
};
