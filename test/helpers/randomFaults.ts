/**
 * Seeded random faults for rotation under fire (in n8n's engine and in the real n8n): the kinds a
 * gateway or n8n's API really shows, each drawn with its weight at a given rate.
 */
import type { Fault, FaultKind } from './n8nPublicApi';

/** mulberry32: a small seeded PRNG, so a failing sequence can be replayed. */
export function prng(seed: number): () => number {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

export const ROTATION_FAULT_KINDS: Array<{ kind: FaultKind; status?: number; weight: number }> = [
	{ kind: 'status', status: 503, weight: 3 },
	{ kind: 'status', status: 500, weight: 2 },
	{ kind: 'status', status: 403, weight: 1 },
	{ kind: 'reset', weight: 2 },
	{ kind: 'lose', weight: 2 },
	{ kind: 'applied_error', weight: 2 },
	{ kind: 'hang', weight: 0.5 },
];

/**
 * A FaultBook.take replacement per server: each call is faulted with probability `rate`; what
 * struck is counted in `counter` under "<server> <kind>[ <status>]".
 */
export function randomFaults(rand: () => number, counter: Record<string, number>, rate: number) {
	const total = ROTATION_FAULT_KINDS.reduce((a, k) => a + k.weight, 0);
	return (server: string) => (): Fault | undefined => {
		if (rand() >= rate) return undefined;
		let x = rand() * total;
		const pick = ROTATION_FAULT_KINDS.find((k) => (x -= k.weight) < 0) ?? ROTATION_FAULT_KINDS[0];
		const label = `${server} ${pick.kind}${pick.status ? ` ${pick.status}` : ''}`;
		counter[label] = (counter[label] ?? 0) + 1;
		return { kind: pick.kind, status: pick.status };
	};
}
