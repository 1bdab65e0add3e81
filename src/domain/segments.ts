/**
 * SMS encoding and segment count by Twilio's rules: GSM-7 when every character is in the GSM 03.38 basic set
 * or its extension table (extension characters take two septets), otherwise UCS-2 counted in UTF-16 code
 * units (an emoji is two). Single segment: 160 septets / 70 units; concatenated: 153 / 67 per segment.
 * Twilio never splits a grapheme cluster (what a reader sees as one character: a flag, an emoji with a skin
 * tone, a ZWJ family, a letter with its accents) across segments, so one that would straddle a boundary
 * starts the next segment, as Twilio's own segment calculator counts it.
 */
const GSM_BASIC =
  '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà';
const GSM_EXTENSION = '\f^{}\\[~]|€';
const basic = new Set(GSM_BASIC);
const extension = new Set(GSM_EXTENSION);

export type Encoding = 'GSM-7' | 'UCS-2';

export interface SegmentInfo {
  encoding: Encoding;
  segments: number;
  /** Characters outside GSM-7 that forced UCS-2, each once, in order of appearance. */
  nonGsmCharacters: string[];
}

export function segmentInfo(body: string): SegmentInfo {
  let septets = 0;
  const nonGsm: string[] = [];
  for (const ch of body) {
    if (basic.has(ch)) septets += 1;
    else if (extension.has(ch)) septets += 2;
    else if (!nonGsm.includes(ch)) nonGsm.push(ch);
  }
  if (nonGsm.length === 0) {
    return { encoding: 'GSM-7', segments: septets <= 160 ? 1 : gsmSegments(body), nonGsmCharacters: [] };
  }
  const units = body.length;
  return { encoding: 'UCS-2', segments: units <= 70 ? 1 : ucs2Segments(body), nonGsmCharacters: nonGsm };
}

/** An extension character's two septets never straddle two segments. */
function gsmSegments(body: string): number {
  let segments = 1;
  let used = 0;
  for (const ch of body) {
    const cost = extension.has(ch) ? 2 : 1;
    if (used + cost > 153) {
      segments++;
      used = 0;
    }
    used += cost;
  }
  return segments;
}

/**
 * Grapheme clusters by Unicode's rules (Intl.Segmenter), except that CR LF counts as two characters, as
 * Twilio counts it.
 */
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

function* clusters(body: string): Generator<string> {
  for (const { segment } of graphemes.segment(body)) {
    if (segment === '\r\n') {
      yield '\r';
      yield '\n';
    } else yield segment;
  }
}

/**
 * A grapheme cluster never straddles two segments. One longer than a whole segment (dozens of combining marks)
 * cannot be kept whole: it is split between code points, as a surrogate pair never is.
 */
function ucs2Segments(body: string): number {
  let segments = 1;
  let used = 0;
  const add = (cost: number) => {
    if (used + cost > 67) {
      segments++;
      used = 0;
    }
    used += cost;
  };
  for (const cluster of clusters(body)) {
    if (cluster.length <= 67) add(cluster.length);
    else for (const ch of cluster) add(ch.length);
  }
  return segments;
}
