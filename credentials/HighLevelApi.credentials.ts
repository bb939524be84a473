import type {
	IAuthenticateGeneric,
	Icon,
	ICredentialTestRequest,
	ICredentialType,
	INodeProperties,
} from 'n8n-workflow';

/** HighLevel's API v2 (apps/*.json `servers`; GoHighLevel/highlevel-api-docs). */
const HIGHLEVEL_API = 'https://services.leadconnectorhq.com';

/**
 * HighLevel API v2 with a sub-account's private integration token: "static/fixed OAuth2 Access
 * Tokens" generated under Settings → Private Integrations, limited to the scopes chosen there
 * (https://marketplace.gohighlevel.com/docs/Authorization/PrivateIntegrationsToken). Every call
 * carries `Authorization: Bearer <token>` and `Version: 2021-07-28` (the required header parameter
 * of every operation in GoHighLevel/highlevel-api-docs apps/payments.json and apps/invoices.json).
 * The token does not name its location, so the credential holds the location id (the `altId` of
 * the payments and invoices calls).
 */
export class HighLevelApi implements ICredentialType {
	name = 'highLevelApi';

	displayName = 'HighLevel API';

	icon: Icon = {
		light: 'file:../nodes/HighLevelPayments/highlevel.svg',
		dark: 'file:../nodes/HighLevelPayments/highlevel.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-quickbooks-sync/n8n-nodes-quickbooks-sync/blob/main/docs/highlevel-api.md';

	properties: INodeProperties[] = [
		{
			displayName: 'Private Integration Token',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description:
				'Sub-account Settings → Private Integrations → Create: scopes payments/transactions.readonly, payments/orders.readonly and invoices.readonly for the HighLevel Payments node',
		},
		{
			displayName: 'Location ID',
			name: 'locationId',
			type: 'string',
			default: '',
			required: true,
			placeholder: 'Z4Bxl8J4SaPEPLq9IQ8g',
			description:
				'The sub-account (location) the token belongs to: Settings → Business Profile, or the ID in the sub-account’s URL',
		},
		{
			displayName: 'Environment',
			name: 'environment',
			type: 'options',
			default: 'production',
			options: [
				{ name: 'HighLevel', value: 'production', description: HIGHLEVEL_API },
				{
					name: 'Custom',
					value: 'custom',
					description: 'A local HighLevel emulator or a corporate proxy',
				},
			],
		},
		{
			displayName: 'API Base URL',
			name: 'customBaseUrl',
			type: 'string',
			default: '',
			placeholder: 'http://127.0.0.1:8791',
			description: 'Where /payments/… and /invoices/… are served',
			displayOptions: { show: { environment: ['custom'] } },
		},
	];

	authenticate: IAuthenticateGeneric = {
		type: 'generic',
		properties: {
			headers: {
				Authorization: '=Bearer {{$credentials.token}}',
				Version: '2021-07-28',
			},
		},
	};

	/** One transaction of the location: proves the token, the location and the scope payments/transactions.readonly. */
	test: ICredentialTestRequest = {
		request: {
			baseURL: `={{ $credentials.environment === "custom" ? $credentials.customBaseUrl : "${HIGHLEVEL_API}" }}`,
			url: '/payments/transactions',
			qs: {
				altId: '={{$credentials.locationId}}',
				altType: 'location',
				limit: 1,
				offset: 0,
			},
			headers: { Accept: 'application/json' },
		},
	};
}
