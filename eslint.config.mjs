import tsParser from '@typescript-eslint/parser';
import n8nNodesBase from 'eslint-plugin-n8n-nodes-base';
import communityNodes from '@n8n/eslint-plugin-community-nodes';

export default [
	{ ignores: ['dist/**', 'node_modules/**', 'test/**', 'scripts/**', '*.js', '*.mjs'] },
	{
		files: ['package.json'],
		languageOptions: { parser: (await import('jsonc-eslint-parser')).default },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: { ...n8nNodesBase.configs.community.rules },
	},
	{
		files: ['credentials/**/*.ts'],
		languageOptions: { parser: tsParser, sourceType: 'module' },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.credentials.rules,
			// "Only applicable to nodes in the main repository" (the rule's own words); community
			// credentials must link a full documentation URL instead.
			'n8n-nodes-base/cred-class-field-documentation-url-miscased': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts'],
		languageOptions: { parser: tsParser, sourceType: 'module' },
		plugins: { 'n8n-nodes-base': n8nNodesBase },
		rules: {
			...n8nNodesBase.configs.nodes.rules,
			// n8n 2.x nodes declare connections with NodeConnectionTypes (the community rule set
			// requires it); these two older rules still ask for the string literal 'main'.
			'n8n-nodes-base/node-class-description-inputs-wrong-regular-node': 'off',
			'n8n-nodes-base/node-class-description-outputs-wrong': 'off',
		},
	},
	{
		files: ['nodes/**/*.ts', 'credentials/**/*.ts', 'package.json'],
		...communityNodes.configs.recommended,
		languageOptions: {
			parser: tsParser,
			sourceType: 'module',
		},
	},
	{
		// Pure QuickBooks/CRM modules know nothing of n8n on purpose (unit-testable without it).
		// Every error they throw reaches the user through the router's toNodeError(), which
		// turns it into a NodeApiError / NodeOperationError with the item index.
		files: [
			'nodes/shared/domain/**/*.ts',
			'nodes/shared/sync/**/*.ts',
			'nodes/shared/transport/{client,errors,retry,query,environment}.ts',
			'nodes/shared/highlevel/{api,itemize}.ts',
		],
		rules: { '@n8n/community-nodes/require-node-api-error': 'off' },
	},
];
