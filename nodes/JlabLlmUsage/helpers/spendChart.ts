/**
 * A bar chart of daily spend as a standalone SVG document: one bar per day, a title, both axis
 * labels, a value scale. Plain text, no fonts or scripts to load, so mail clients and browsers
 * show it as it is.
 */

import { money } from './money';

export interface ChartDay {
	date: string;
	spendUsd: number;
}

export interface ChartText {
	title: string;
	subtitle?: string;
}

const WIDTH = 900;
const HEIGHT = 420;
const MARGIN = { top: 64, right: 24, bottom: 72, left: 88 };
const BAR_COLOUR = '#1f6fb2';
const GRID_COLOUR = '#d9dee5';
const TEXT_COLOUR = '#1d2733';

/** Escapes text for XML content and attribute values. */
export function xmlText(text: string): string {
	return (
		text
			.replace(/&/g, '&amp;')
			.replace(/</g, '&lt;')
			.replace(/>/g, '&gt;')
			.replace(/"/g, '&quot;')
			.replace(/'/g, '&apos;')
			.split('')
			// Control characters other than tab and line breaks are not allowed in XML 1.0 at all.
			.filter((ch) => ch >= ' ' || ch === '\t' || ch === '\n' || ch === '\r')
			.join('')
	);
}

/** The smallest "round" number (1, 2, 4, 6, 8 × 10^n; a quarter of it is round too) at or above `value`. */
export function niceCeiling(value: number): number {
	if (!(value > 0)) return 0;
	const magnitude = 10 ** Math.floor(Math.log10(value));
	for (const step of [1, 2, 4, 6, 8, 10]) {
		const candidate = step * magnitude;
		if (candidate >= value * (1 - 1e-12)) return Number(candidate.toPrecision(12));
	}
	return 10 * magnitude;
}

/** Decimals that show `step` exactly (money gets at least 2, unless the step is whole dollars). */
export function decimalsFor(step: number): number {
	if (step >= 1 && Number.isInteger(step)) return 0;
	const text = String(Number(step.toPrecision(6)));
	const exp = /e-(\d+)$/.exec(text);
	const shown = exp
		? Number(exp[1]) + (text.split('e')[0].split('.')[1]?.length ?? 0)
		: (text.split('.')[1]?.length ?? 0);
	return Math.min(10, Math.max(2, shown));
}

/** `$0.25`, `$1.00`, `$12`, `$0.0004`: the decimals the scale's step needs. */
export function usdLabel(value: number, step: number): string {
	return `$${value.toFixed(decimalsFor(step))}`;
}

const round = (n: number) => Math.round(n * 100) / 100;

/** The chart as an SVG document (UTF-8 text). */
export function renderSpendChart(days: ChartDay[], text: ChartText): string {
	const plotW = WIDTH - MARGIN.left - MARGIN.right;
	const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
	const maxSpend = days.reduce((m, d) => Math.max(m, d.spendUsd), 0);
	// An idle range still gets a readable scale.
	const top = niceCeiling(maxSpend) || 1;
	const slot = days.length ? plotW / days.length : plotW;
	const barW = Math.max(1, slot * 0.78);
	const yOf = (v: number) => MARGIN.top + plotH - (v / top) * plotH;
	const total = days.reduce((s, d) => s + d.spendUsd, 0);

	const out: string[] = [];
	out.push('<?xml version="1.0" encoding="UTF-8"?>');
	out.push(
		`<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" role="img" aria-labelledby="chart-title chart-desc" font-family="Helvetica, Arial, sans-serif">`,
	);
	out.push(`<title id="chart-title">${xmlText(text.title)}</title>`);
	out.push(
		`<desc id="chart-desc">${xmlText(`Bar chart, one bar per day (${days.length} days), total ${money(total)}.`)}</desc>`,
	);
	out.push(`<rect x="0" y="0" width="${WIDTH}" height="${HEIGHT}" fill="#ffffff"/>`);
	out.push(
		`<text class="chart-title" x="${WIDTH / 2}" y="28" text-anchor="middle" font-size="18" font-weight="bold" fill="${TEXT_COLOUR}">${xmlText(text.title)}</text>`,
	);
	if (text.subtitle) {
		out.push(
			`<text class="chart-subtitle" x="${WIDTH / 2}" y="48" text-anchor="middle" font-size="12" fill="${TEXT_COLOUR}">${xmlText(text.subtitle)}</text>`,
		);
	}

	// Value scale: five grid lines from $0 to the rounded maximum.
	out.push('<g class="y-axis">');
	for (let i = 0; i <= 4; i++) {
		const value = (top * i) / 4;
		const y = round(yOf(value));
		out.push(
			`<line x1="${MARGIN.left}" y1="${y}" x2="${WIDTH - MARGIN.right}" y2="${y}" stroke="${GRID_COLOUR}" stroke-width="1"/>`,
		);
		out.push(
			`<text x="${MARGIN.left - 8}" y="${round(y + 4)}" text-anchor="end" font-size="11" fill="${TEXT_COLOUR}">${xmlText(usdLabel(value, top / 4))}</text>`,
		);
	}
	out.push('</g>');

	out.push('<g class="bars">');
	days.forEach((d, i) => {
		const h = round((Math.max(0, d.spendUsd) / top) * plotH);
		const x = round(MARGIN.left + i * slot + (slot - barW) / 2);
		const y = round(MARGIN.top + plotH - h);
		out.push(
			`<rect class="bar" data-date="${xmlText(d.date)}" data-spend-usd="${d.spendUsd}" x="${x}" y="${y}" width="${round(barW)}" height="${h}" fill="${BAR_COLOUR}"><title>${xmlText(`${d.date}: ${money(d.spendUsd)}`)}</title></rect>`,
		);
	});
	out.push('</g>');

	// Date axis: a label every few days so that labels never overlap.
	const every = Math.max(1, Math.ceil(48 / slot));
	out.push('<g class="x-axis">');
	out.push(
		`<line x1="${MARGIN.left}" y1="${MARGIN.top + plotH}" x2="${WIDTH - MARGIN.right}" y2="${MARGIN.top + plotH}" stroke="${TEXT_COLOUR}" stroke-width="1"/>`,
	);
	days.forEach((d, i) => {
		// The last day gets a label too, when it has room beside the previous one.
		const last = i === days.length - 1 && (i % every) * slot >= 44;
		if (i % every !== 0 && !last) return;
		const x = round(MARGIN.left + i * slot + slot / 2);
		out.push(
			`<text x="${x}" y="${MARGIN.top + plotH + 18}" text-anchor="middle" font-size="11" fill="${TEXT_COLOUR}">${xmlText(d.date.slice(5))}</text>`,
		);
	});
	out.push('</g>');

	out.push(
		`<text class="axis-label x-axis-label" x="${MARGIN.left + plotW / 2}" y="${HEIGHT - 22}" text-anchor="middle" font-size="13" fill="${TEXT_COLOUR}">Date (UTC)</text>`,
	);
	const yMid = MARGIN.top + plotH / 2;
	out.push(
		`<text class="axis-label y-axis-label" x="22" y="${yMid}" text-anchor="middle" font-size="13" fill="${TEXT_COLOUR}" transform="rotate(-90 22 ${yMid})">Spend (USD)</text>`,
	);
	out.push('</svg>');
	return out.join('\n') + '\n';
}
