import type { Icon, ICredentialType, INodeProperties } from 'n8n-workflow';

/**
 * The secret a HighLevel workflow's "Custom Webhook" action sends with every delivery (HighLevel
 * offers Bearer, API key and Basic authorization there). Only the HighLevel Trigger reads it, to
 * check incoming deliveries; it is never sent anywhere.
 */
export class HighLevelWebhookApi implements ICredentialType {
	name = 'highLevelWebhookApi';

	displayName = 'HighLevel Webhook Secret API';

	icon: Icon = {
		light: 'file:../nodes/HighLevelTrigger/highlevel.svg',
		dark: 'file:../nodes/HighLevelTrigger/highlevel.dark.svg',
	};

	documentationUrl =
		'https://github.com/n8n-nodes-quickbooks-sync/n8n-nodes-quickbooks-sync/blob/main/README.md#highlevel-trigger';

	properties: INodeProperties[] = [
		{
			displayName: 'Authorization',
			name: 'authType',
			type: 'options',
			default: 'bearer',
			description: 'What you chose under Authorization in the Custom Webhook action',
			options: [
				{ name: 'Bearer Token', value: 'bearer', description: 'Authorization: Bearer <secret>' },
				{
					name: 'API Key (Header)',
					value: 'header',
					description: 'A header of your choice carries the secret',
				},
				{ name: 'Basic Auth', value: 'basic', description: 'Authorization: Basic <user:password>' },
			],
		},
		{
			displayName: 'Secret',
			name: 'token',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			description: 'A long random value; paste the same into the Custom Webhook action',
			displayOptions: { show: { authType: ['bearer'] } },
		},
		{
			displayName: 'Header Name',
			name: 'headerName',
			type: 'string',
			default: 'X-API-Key',
			displayOptions: { show: { authType: ['header'] } },
		},
		{
			displayName: 'Header Value (Secret)',
			name: 'apiKey',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['header'] } },
		},
		{
			displayName: 'User',
			name: 'user',
			type: 'string',
			default: '',
			required: true,
			displayOptions: { show: { authType: ['basic'] } },
		},
		{
			displayName: 'Password',
			name: 'password',
			type: 'string',
			typeOptions: { password: true },
			default: '',
			required: true,
			displayOptions: { show: { authType: ['basic'] } },
		},
	];
}
