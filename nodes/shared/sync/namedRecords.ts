/**
 * Records the user's rules name by ID or name (accounts, payment methods, classes, locations): read
 * once per run and matched here, so nothing rests on Name being a filterable field.
 */
import type { QboClient } from '../transport/client';
import type { QboRecord } from '../types';

export type NamedEntity = 'Account' | 'PaymentMethod' | 'Class' | 'Department';

export const isId = (value: string) => /^\d+$/.test(value);

/** The run's memo key of an entity's whole list (dropped when a record of it was just made). */
export const listKey = (entity: string) => `routing:${entity}:all`;

/**
 * An active record by id (digits) or name; undefined when the company has none. By id it is asked
 * for; by name the company's list (at most a few hundred) is read once per run and matched without
 * regard to case: the full name first (Parent:Child of a sub-class or sub-location), then the name
 * when one record alone has it.
 */
export async function named(
	client: QboClient,
	entity: NamedEntity,
	ref: string,
): Promise<QboRecord | undefined> {
	const active = (record: QboRecord | undefined) =>
		record && record.Active !== false ? record : undefined;
	if (isId(ref)) {
		const [found] = await client.memo(
			`routing:${entity}:${ref}`,
			async () =>
				await client.query({
					entity,
					where: [{ field: 'Id', op: '=', value: ref }],
					maxResults: 1,
				}),
		);
		return active(found);
	}
	const all = await client.memo(
		listKey(entity),
		async () => await client.query({ entity, maxResults: 1000 }),
	);
	const wanted = ref.toLowerCase();
	const full = all.find(
		(record) => String(record.FullyQualifiedName ?? record.Name).toLowerCase() === wanted,
	);
	if (full) return active(full);
	const byName = all.filter((record) => String(record.Name).toLowerCase() === wanted);
	return byName.length === 1 ? active(byName[0]) : undefined;
}
