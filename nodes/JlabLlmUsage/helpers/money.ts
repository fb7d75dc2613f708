/** US dollars: numbers in items, text in messages and charts. */

/** Money without floating-point dust (USD, 10 decimals: LiteLLM prices are per token). */
export function usd(value: number): number {
	return Math.round(value * 1e10) / 1e10;
}

/** `$12.35`, or two significant digits for sub-cent amounts (`$0.0004`). */
export function money(value: number): string {
	if (value !== 0 && Math.abs(value) < 0.01) return `$${Number(value.toPrecision(2))}`;
	return `$${value.toFixed(2)}`;
}
