/**
 * Where a receipt's money lands and which payment method it carries, chosen from what the CRM
 * reports (../../shared/domain/paymentRouting.ts): the node's parameters and their reading.
 */
import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

import type { DepositRule, MethodRule } from '../../shared/domain/paymentRouting';
import type { RoutingOptions } from '../../shared/sync/paymentRouting';
import { fieldError } from '../../shared/transport/n8n';

export const routingOptions: INodeProperties[] = [
	{
		displayName: 'Deposit To by Source or Provider',
		name: 'depositRules',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Rule',
		description:
			'The first rule the payment meets chooses the account; payments no rule meets go to "Deposit To Account" (or Undeposited Funds). A rule naming an account the company lacks stops the item.',
		options: [
			{
				displayName: 'Rule',
				name: 'rule',
				values: [
					{
						displayName: 'When',
						name: 'when',
						type: 'options',
						default: 'source',
						options: [
							{
								name: 'Source Is',
								value: 'source',
								description:
									'Where HighLevel took the payment: funnel, website, invoice, calendar, text2Pay, membership, …',
							},
							{
								name: 'Provider Is',
								value: 'provider',
								description: 'Who took it: stripe, paypal, authorize-net, nmi, …',
							},
						],
					},
					{
						displayName: 'Equals',
						name: 'equals',
						type: 'string',
						default: '',
						placeholder: 'invoice',
						description: 'Compared without regard to case',
					},
					{
						displayName: 'Deposit To Account',
						name: 'account',
						type: 'string',
						default: '',
						placeholder: 'Stripe Clearing',
						description:
							'The QuickBooks account’s name or ID (a bank or other current asset account)',
					},
				],
			},
		],
	},
	{
		displayName: 'Payment Method From CRM',
		name: 'methodFromCrm',
		type: 'boolean',
		default: false,
		description:
			'Whether the payment method follows what the CRM reports: card → Credit Card, cash → Cash, cheque → Check, ach → ACH, unless a rule below says otherwise. Payments the CRM reports no method for keep "Payment Method".',
	},
	{
		displayName: 'CRM Payment Methods',
		name: 'methodRules',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		default: {},
		placeholder: 'Add Mapping',
		description:
			'Read with "Payment Method From CRM": a CRM method or provider → a QuickBooks payment method',
		options: [
			{
				displayName: 'Mapping',
				name: 'mapping',
				values: [
					{
						displayName: 'CRM Method or Provider',
						name: 'crm',
						type: 'string',
						default: '',
						placeholder: 'card',
					},
					{
						displayName: 'QuickBooks Payment Method',
						name: 'method',
						type: 'string',
						default: '',
						placeholder: 'Visa',
						description: 'The payment method’s name or ID in QuickBooks',
					},
				],
			},
		],
	},
	{
		displayName: 'Create Missing Payment Methods',
		name: 'createMissingMethods',
		type: 'boolean',
		default: false,
		description:
			'Whether a payment method the company lacks is made in QuickBooks (with "Payment Method From CRM"); otherwise the item stops and says which one to add',
	},
];

/** The rules of one item; a rule missing its account or method is named in the error. */
export function routingFrom(
	context: IExecuteFunctions,
	itemIndex: number,
	options: IDataObject,
): Pick<RoutingOptions, 'depositRules' | 'methodFromCrm' | 'methodRules' | 'createMissingMethods'> {
	/** A fixed collection's rows, trimmed; a row with `when` set and `then` empty is refused. */
	const rows = (parameter: string, key: string, when: string, then: string) =>
		(
			((options[parameter] as IDataObject | undefined)?.[key] as IDataObject[] | undefined) ?? []
		).map((row, i) => {
			const rule = Object.fromEntries(
				Object.entries(row).map(([k, v]) => [k, String(v ?? '').trim()]),
			);
			if (rule[when] && !rule[then])
				throw fieldError(
					context.getNode(),
					itemIndex,
					`options.${parameter}[${i}].${then}`,
					'is missing',
				);
			return rule;
		});
	return {
		depositRules: rows('depositRules', 'rule', 'equals', 'account').map(
			(rule): DepositRule => ({
				when: rule.when === 'provider' ? 'provider' : 'source',
				equals: rule.equals,
				account: rule.account,
			}),
		),
		methodFromCrm: options.methodFromCrm === true,
		methodRules: rows('methodRules', 'mapping', 'crm', 'method').map(
			(rule): MethodRule => ({ crm: rule.crm, method: rule.method }),
		),
		createMissingMethods: options.createMissingMethods === true,
	};
}
