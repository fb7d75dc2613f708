/**
 * Get Activity's chart as a PNG beside the SVG: n8n's binary view previews PNG (its viewable types
 * leave SVG out). The PNG is decoded here (signature, chunk CRCs, zlib stream) and its bars read
 * back from the pixels: one per day, taller for more spend.
 */
import { inflateSync } from 'zlib';

import { renderSpendChartPng } from '../../nodes/JlabLlmUsage/helpers/spendChartPng';
import { shutdownHarness } from '../harness';
import {
	canary,
	expectNoLeak,
	pinClock,
	runUsage,
	startUsageSandbox,
	type UsageSandbox,
} from './usageSetup';

const KEY = canary('png-chart');

interface Png {
	width: number;
	height: number;
	/** Palette index of each pixel, row by row. */
	pixels: number[][];
	palette: number[][];
}

/** A strict reader for what the node writes: 4-bit palette PNG, filter 0 on every row. */
function readPng(buf: Buffer): Png {
	expect([...buf.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
	const { crc32 } = require('zlib') as { crc32?: (b: Buffer) => number };
	let at = 8;
	const chunks: Record<string, Buffer[]> = {};
	while (at < buf.length) {
		const len = buf.readUInt32BE(at);
		const type = buf.toString('latin1', at + 4, at + 8);
		const data = buf.subarray(at + 8, at + 8 + len);
		if (crc32)
			expect(buf.readUInt32BE(at + 8 + len)).toBe(crc32(buf.subarray(at + 4, at + 8 + len)));
		(chunks[type] ??= []).push(data);
		at += 12 + len;
	}
	expect(Object.keys(chunks)).toEqual(['IHDR', 'PLTE', 'IDAT', 'IEND']);
	const ihdr = chunks.IHDR[0];
	const width = ihdr.readUInt32BE(0);
	const height = ihdr.readUInt32BE(4);
	expect([ihdr[8], ihdr[9]]).toEqual([4, 3]);
	const raw = inflateSync(Buffer.concat(chunks.IDAT));
	const rowBytes = Math.ceil(width / 2);
	expect(raw.length).toBe(height * (rowBytes + 1));
	const pixels: number[][] = [];
	for (let y = 0; y < height; y++) {
		const row = raw.subarray(y * (rowBytes + 1), (y + 1) * (rowBytes + 1));
		expect(row[0]).toBe(0);
		pixels.push([...row.subarray(1)].flatMap((b) => [b >> 4, b & 15]).slice(0, width));
	}
	const plte = chunks.PLTE[0];
	const palette = Array.from({ length: plte.length / 3 }, (_, i) => [
		...plte.subarray(i * 3, i * 3 + 3),
	]);
	return { width, height, pixels, palette };
}

/** Bar heights (palette index 1) of each run of bar columns, left to right. */
function barHeights(png: Png): number[] {
	const heights: number[] = [];
	let inBar = false;
	for (let x = 0; x < png.width; x++) {
		const h = png.pixels.filter((row) => row[x] === 1).length;
		if (h > 0 && !inBar) heights.push(h);
		inBar = h > 0;
	}
	return heights;
}

describe('the spend chart as a PNG', () => {
	it('renders one bar per active day, heights in the order of the spend', () => {
		const png = readPng(
			renderSpendChartPng([
				{ date: '2026-05-01', spendUsd: 1 },
				{ date: '2026-05-02', spendUsd: 0 },
				{ date: '2026-05-03', spendUsd: 3 },
				{ date: '2026-05-04', spendUsd: 2 },
			]),
		);
		expect([png.width, png.height]).toEqual([720, 320]);
		const [a, c, d] = barHeights(png);
		expect(barHeights(png)).toHaveLength(3);
		expect(c).toBeGreaterThan(d);
		expect(d).toBeGreaterThan(a);
		// Text pixels (the scale and the dates) are drawn too.
		expect(png.pixels.flat().filter((p) => p === 3).length).toBeGreaterThan(100);
	});

	it('an idle range is an empty plot, still a valid image', () => {
		const png = readPng(renderSpendChartPng([{ date: '2026-05-01', spendUsd: 0 }]));
		expect(barHeights(png)).toEqual([]);
	});

	describe('Get Activity attaches it beside the SVG', () => {
		let sb: UsageSandbox;
		let restoreClock: () => void;
		beforeAll(async () => {
			restoreClock = pinClock();
			sb = await startUsageSandbox({
				keys: [{ key: KEY, key_alias: 'png', user_id: 'jdoe' }],
				activity: [1, 2, 3].map((n) => ({
					date: `2026-05-0${n}`,
					api_key: KEY,
					model: 'openai/gpt-oss-120b',
					spend: n,
					prompt_tokens: 1,
					completion_tokens: 1,
					api_requests: 1,
					successful_requests: 1,
					failed_requests: 0,
				})),
			});
		});
		afterAll(async () => {
			restoreClock();
			await sb.close();
			await shutdownHarness();
		});

		it('as <field>Png, image/png, previewable', async () => {
			const run = await runUsage(
				sb,
				{
					operation: 'getActivity',
					startDate: '2026-05-01',
					endDate: '2026-05-03',
					addChart: true,
					binaryPropertyName: 'spend',
				},
				{ apiKey: KEY },
			);
			expect(run.error('Usage')).toBeUndefined();
			const binary = run.items[0].binary!;
			expect(Object.keys(binary).sort()).toEqual(['spend', 'spendPng']);
			expect(binary.spend).toMatchObject({
				mimeType: 'image/svg+xml',
				fileName: 'spend-2026-05-01-to-2026-05-03.svg',
			});
			expect(binary.spendPng).toMatchObject({
				mimeType: 'image/png',
				fileName: 'spend-2026-05-01-to-2026-05-03.png',
				fileExtension: 'png',
			});
			const heights = barHeights(readPng(Buffer.from(binary.spendPng.data, 'base64')));
			expect(heights).toHaveLength(3);
			expect(heights[2]).toBeGreaterThan(heights[1]);
			expect(heights[1]).toBeGreaterThan(heights[0]);
			expectNoLeak(run, KEY);
		});
	});
});
