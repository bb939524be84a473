/** CRM payment → QuickBooks sales receipt, once per CRM transaction id. */
import type { QboRecord } from '../types';
import type { QboClient } from '../transport/client';
import type { CrmPayment } from '../domain/crm';
import { crmMarker } from '../domain/docNumber';
import { adjustmentRef, productLinesOf, planSale, type TaxCodes } from '../domain/salesDocument';
import type { SalePlan } from '../domain/types';
import { normalizeEmail } from '../domain/email';
import { findOrCreateCustomer, type MatchOptions } from './customers';
import {
	createOwnDocument,
	findOwnDocument,
	numberToCreate,
	type NumberClash,
	type OwnDocumentKey,
	settleExtras,
} from './ownDocuments';
import { createKeepingTax } from './salesTax';
import { resolveItems, type ItemMode } from './items';
import { checkProductMapping } from './productMapping';
import { forgetRenamed, writeWithRefs } from './documentRefs';
import { routePayment, type Routed, type RoutingOptions } from './paymentRouting';
import { withTracking, type Tracking } from './tracking';
import type { Lookup, ReceiptResult, SyncSummary } from './types';

/** With RoutingOptions: the deposit account and payment method, fixed or by the user's rules. */
export interface ReceiptOptions extends RoutingOptions {
	/** Set from the company's currencies before writing (./paymentRouting.ts). */
	currencyRef?: { value: string };
	/** Set from "Classes and Locations" before writing (./tracking.ts). */
	tracking?: Tracking;
	match: MatchOptions;
	items: ItemMode;
	docNumberPrefix?: string;
	/** A customer chosen by earlier nodes (e.g. the template's visible e-mail matching). */
	customerId?: string;
	taxCodes?: TaxCodes;
	/** The item a CRM total's unexplained difference is booked on; without it such a sale stops. */
	adjustmentItemId?: string;
	/** A receipt number already used by a document this sync did not create: stop (default) or use a distinct number. */
	onNumberClash?: NumberClash;
}

/** Where a payment's receipt lives: its marker, its numbers, what to do when a number is taken. */
export function receiptKey(
	payment: Pick<CrmPayment, 'transactionId'>,
	options: Pick<ReceiptOptions, 'docNumberPrefix' | 'onNumberClash'>,
): OwnDocumentKey {
	return {
		entity: 'SalesReceipt',
		kind: 'payment',
		crmId: payment.transactionId,
		numberKey: payment.transactionId,
		prefix: options.docNumberPrefix,
		onClash: options.onNumberClash ?? 'error',
	};
}

export function receiptSummary(
	receipt: QboRecord,
	payment: CrmPayment,
	action: SyncSummary['action'],
	customer?: SyncSummary['customer'],
	routed?: Routed,
): SyncSummary {
	const qboTotal = Number(receipt.TotalAmt ?? 0);
	return {
		action,
		qboId: String(receipt.Id),
		docNumber: receipt.DocNumber as string | undefined,
		crmTotal: payment.total,
		qboTotal,
		totalsMatch: Math.abs(qboTotal - payment.total) < 0.005,
		customer,
		...(routed && Object.keys(routed.because).length ? { routing: routed.because } : {}),
		...(routed?.taxBy === 'quickbooks'
			? {
					tax: {
						by: 'quickbooks' as const,
						crm: payment.taxAmount,
						quickbooks: Number(
							(receipt.TxnTaxDetail as { TotalTax?: number } | undefined)?.TotalTax ?? 0,
						),
					},
				}
			: {}),
	};
}

/** The options a receipt is written with once its rules chose the account and method. */
export function routedOptions(options: ReceiptOptions, routed: Routed): ReceiptOptions {
	return {
		...options,
		depositAccountId: routed.depositAccountId,
		paymentMethodId: routed.paymentMethodId,
		currencyRef: routed.currencyRef,
		tracking: routed.tracking,
		taxBy: routed.taxBy,
	};
}

/** The SalesReceipt QuickBooks gets for a payment. */
export function receiptBody(
	payment: CrmPayment,
	docNumber: string,
	customerId: string,
	plan: SalePlan,
	options: ReceiptOptions,
): QboRecord {
	return withTracking(
		receiptFields(payment, docNumber, customerId, plan, options),
		options.tracking,
	);
}

function receiptFields(
	payment: CrmPayment,
	docNumber: string,
	customerId: string,
	plan: SalePlan,
	options: ReceiptOptions,
): QboRecord {
	return {
		DocNumber: docNumber,
		CustomerRef: { value: customerId },
		Line: plan.lines,
		// QuickBooks Calculates: no figure is sent, automated sales tax puts its own.
		...(options.taxBy === 'quickbooks' ? {} : { TxnTaxDetail: { TotalTax: plan.totalTax } }),
		ApplyTaxAfterDiscount: true,
		PrivateNote: `${crmMarker('payment', payment.transactionId)}${payment.source ? ` (${payment.source})` : ''}`,
		...(payment.date ? { TxnDate: payment.date } : {}),
		...(options.currencyRef ? { CurrencyRef: options.currencyRef } : {}),
		...(normalizeEmail(payment.person.email)
			? { BillEmail: { Address: String(payment.person.email).trim() } }
			: {}),
		...(options.paymentMethodId ? { PaymentMethodRef: { value: options.paymentMethodId } } : {}),
		...(options.depositAccountId
			? { DepositToAccountRef: { value: options.depositAccountId } }
			: {}),
		PaymentRefNum: payment.transactionId.slice(-21),
	};
}

export async function createReceiptFromPayment(
	client: QboClient,
	payment: CrmPayment,
	options: ReceiptOptions,
	found?: Lookup,
): Promise<ReceiptResult> {
	const key = receiptKey(payment, options);
	const lookup = found ?? (await findOwnDocument(client, key));
	if (lookup.ours) {
		const duplicatesVoided = await settleExtras(client, key, lookup);
		return {
			receipt: lookup.ours,
			alreadySynced: true,
			sync: {
				...receiptSummary(lookup.ours, payment, 'matched'),
				...(duplicatesVoided.length ? { duplicatesVoided } : {}),
			},
		};
	}
	numberToCreate(key, lookup); // a clash stops the item before any customer or item is written
	// So does a rule naming an account or payment method the company lacks, or a product the
	// Product Mapping cannot book.
	const routed = await routePayment(client, payment, options);
	await checkProductMapping(client, productLinesOf(payment), options.items);

	const {
		result: written,
		refs: { match },
	} = await writeWithRefs(
		client,
		async (mode) => ({
			match: options.customerId
				? { customer: { Id: options.customerId } as QboRecord, how: 'given' as const }
				: await findOrCreateCustomer(client, payment.person, options.match, 'email', mode),
			items: await resolveItems(client, productLinesOf(payment), options.items, mode),
		}),
		async (refs, requestKeySuffix) => {
			const plan = planSale(payment, refs.items.refFor, options.taxCodes, adjustmentRef(options));
			return await createKeepingTax(
				client,
				'SalesReceipt',
				options.taxBy === 'quickbooks' ? 0 : plan.totalTax,
				payment.total,
				async (more) =>
					await createOwnDocument(
						client,
						key,
						lookup,
						(docNumber) =>
							receiptBody(
								payment,
								docNumber,
								String(refs.match.customer.Id),
								plan,
								routedOptions(options, routed),
							),
						requestKeySuffix + more,
					),
			);
		},
	);
	forgetRenamed(client, written.record);
	const customer = {
		id: String(match.customer.Id),
		how: match.how,
		displayName: match.customer.DisplayName as string,
	};
	return written.created
		? {
				receipt: written.record,
				alreadySynced: false,
				sync: receiptSummary(written.record, payment, 'created', customer, routed),
			}
		: {
				receipt: written.record,
				alreadySynced: true,
				sync: receiptSummary(written.record, payment, 'matched', customer, routed),
			};
}
