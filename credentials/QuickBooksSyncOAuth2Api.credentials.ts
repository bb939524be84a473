import type { Icon, ICredentialTestRequest, ICredentialType, INodeProperties } from 'n8n-workflow';

const PRODUCTION_API = 'https://quickbooks.api.intuit.com';
const SANDBOX_API = 'https://sandbox-quickbooks.api.intuit.com';
const INTUIT_AUTHORIZE = 'https://appcenter.intuit.com/connect/oauth2';
const INTUIT_TOKEN = 'https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer';

export class QuickBooksSyncOAuth2Api implements ICredentialType {
	name = 'quickBooksSyncOAuth2Api';

	extends = ['oAuth2Api'];

	displayName = 'QuickBooks Sync OAuth2 API';

	icon: Icon = {
		light: 'file:../nodes/QuickBooksSync/quickbooks.svg',
		dark: 'file:../nodes/QuickBooksSync/quickbooks.dark.svg',
	};

	documentationUrl =
		'https://developer.intuit.com/app/developer/qbo/docs/develop/authentication-and-authorization/oauth-2.0';

	properties: INodeProperties[] = [
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			default: 'production',
			options: [
				{ name: 'Production', value: 'production' },
				{ name: 'Sandbox', value: 'sandbox' },
				{
					name: 'Custom',
					value: 'custom',
					description: 'A local QuickBooks emulator or a corporate proxy',
				},
			],
		},
		{
			displayName: 'API Base URL',
			name: 'customBaseUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:8790',
			description: 'Where /v3/company/{realmId}/… is served',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Custom Authorization URL',
			name: 'customAuthUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:8790/connect/oauth2',
			description: 'Leave empty to use Intuit’s login page',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Custom Token URL',
			name: 'customTokenUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:8790/oauth2/v1/tokens/bearer',
			description: 'Leave empty to use Intuit’s token endpoint',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'QuickBooks App URL',
			name: 'customAppUrl',
			type: 'string',
			default: '',
			placeholder: 'https://app.sandbox.qbo.intuit.com',
			description: 'Where links to records open; leave empty for no links',
			displayOptions: { show: { environment: ['custom'] } },
		},
		{
			displayName: 'Shared by Several n8n Processes (Queue Mode)',
			name: 'sharedBudget',
			type: 'boolean',
			default: false,
			description:
				"Whether several n8n workers call QuickBooks with this credential. They then share each company's request budget through a Data Table reached by n8n's API, so that together they stay within QuickBooks' limits.",
		},
		{
			displayName: 'N8n API URL',
			name: 'n8nApiUrl',
			type: 'string',
			default: '',
			placeholder: 'http://n8n-main:5678/api/v1',
			description: "Your n8n's public API, as the workers reach it (Settings → n8n API)",
			displayOptions: { show: { sharedBudget: [true] } },
		},
		{
			displayName: 'N8n API Key',
			name: 'n8nApiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			description:
				'An n8n API key allowed to read, create and write Data Tables and their rows (Settings → n8n API → Create an API key)',
			displayOptions: { show: { sharedBudget: [true] } },
		},
		{
			displayName: 'Grant Type',
			name: 'grantType',
			type: 'hidden',
			default: 'authorizationCode',
		},
		{
			displayName: 'Authorization URL',
			name: 'authUrl',
			type: 'hidden',
			default: `={{ $self["environment"] === "custom" && $self["customAuthUrl"] ? $self["customAuthUrl"] : "${INTUIT_AUTHORIZE}" }}`,
		},
		{
			displayName: 'Access Token URL',
			name: 'accessTokenUrl',
			type: 'hidden',
			default: `={{ $self["environment"] === "custom" && $self["customTokenUrl"] ? $self["customTokenUrl"] : "${INTUIT_TOKEN}" }}`,
		},
		{
			displayName: 'Scope',
			name: 'scope',
			type: 'hidden',
			default: 'com.intuit.quickbooks.accounting',
		},
		{
			displayName: 'Auth URI Query Parameters',
			name: 'authQueryParameters',
			type: 'hidden',
			default: '',
		},
		{
			displayName: 'Authentication',
			name: 'authentication',
			type: 'hidden',
			default: 'header',
		},
	];

	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ $credentials.environment === "custom" ? $credentials.customBaseUrl : ($credentials.environment === "sandbox" ? "${SANDBOX_API}" : "${PRODUCTION_API}") }}`,
			url: '=/v3/company/{{ $credentials.oauthTokenData.callbackQueryString.realmId }}/companyinfo/{{ $credentials.oauthTokenData.callbackQueryString.realmId }}',
			qs: { minorversion: 75 },
			headers: { Accept: 'application/json' },
		},
	};
}
