/**
 * The canary check of the in-process tests: every 8-character piece of a key found in what a run
 * produced (text, or anything JSON can show, errors with their message, description and stack).
 */
export function leakedPieces(value: unknown, key: string): string[] {
	const text =
		typeof value === 'string'
			? value
			: JSON.stringify(value, (_k, v: unknown) =>
					v instanceof Error
						? {
								...v,
								message: v.message,
								description: (v as { description?: unknown }).description,
								stack: v.stack,
							}
						: v,
				);
	const found: string[] = [];
	for (let i = 0; i + 8 <= key.length; i++) {
		const piece = key.slice(i, i + 8);
		if (text.includes(piece)) found.push(piece);
	}
	return found;
}
