/**
 * Picks the catalogue video a Tavus agent asks for with `fetch_video(video_title)`.
 *
 * The seed document queried `demo_videos` with `.ilike('title', `%${video_title}%`).limit(1)`: a
 * case-insensitive "title contains the request". That stays the first rule, made deterministic (exact
 * title, else the shortest containing title, then the oldest, then the smallest id). Only when no title
 * contains the request does word overlap decide. `%` and `_` are literal here, not wildcards.
 *
 * Pure and total: no I/O, no regex built from input, never throws. One pass over the catalogue; the
 * substring test is Knuth-Morris-Pratt, so the cost is linear in the request plus the catalogue's text.
 */

export interface CatalogueVideo {
  id: string;
  title: string;
  url: string;
  duration_seconds?: number | null;
  tags?: string[];
  createdAt: string;
}

export interface VideoMatch {
  video: CatalogueVideo;
  how: 'exact' | 'substring' | 'words';
  score: number;
}

/** Requests longer than this are cut to it (raw UTF-16 length, never splitting a surrogate pair). */
const MAX_REQUEST_CHARS = 500;
/** At most this many distinct words are kept from one text. */
const MAX_WORDS = 50;
/** A word match needs at least this overlap. */
const MIN_WORD_SCORE = 0.5;

const STOP_WORDS: ReadonlySet<string> = new Set(['the', 'a', 'an', 'of', 'and', 'to', 'for', 'in', 'on', 'my', 'me', 'show', 'play', 'video']);

const MARKS = /\p{M}+/gu;
/** Whitespace and control characters (NUL included) all count as one space. */
const SPACES = /[\s\p{Cc}]+/gu;
const WORD = /[\p{L}\p{N}]+/gu;

/** Trim, collapse whitespace, lower-case, fold accents (NFKD, then drop combining marks). */
function fold(text: string): string {
  return text.normalize('NFKD').toLowerCase().replace(MARKS, '').replace(SPACES, ' ').trim();
}

function cutRequest(raw: string): string {
  if (raw.length <= MAX_REQUEST_CHARS) return raw;
  let end = MAX_REQUEST_CHARS;
  const last = raw.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1; // do not leave half of a surrogate pair
  return raw.slice(0, end);
}

/**
 * Lower-cased words (Unicode letters and digits), accents folded (NFKD + remove combining marks), stop words
 * ("the", "a", "an", "of", "and", "to", "for", "in", "on", "my", "me", "show", "play", "video") dropped, at
 * most 50 words. Words are distinct, in order of first appearance. Never throws (a non-string gives []).
 */
export function titleWords(text: string): string[] {
  if (typeof text !== 'string' || text.length === 0) return [];
  const seen = new Set<string>();
  for (const m of fold(text).matchAll(WORD)) {
    const word = m[0];
    if (STOP_WORDS.has(word) || seen.has(word)) continue;
    seen.add(word);
    if (seen.size >= MAX_WORDS) break;
  }
  return [...seen];
}

/** Knuth-Morris-Pratt: O(|pattern|) to build, O(|text|) per test. `pattern` is non-empty. */
function containsMatcher(pattern: string): (text: string) => boolean {
  const m = pattern.length;
  const fail = new Int32Array(m);
  for (let i = 1, k = 0; i < m; i++) {
    while (k > 0 && pattern.charCodeAt(i) !== pattern.charCodeAt(k)) k = fail[k - 1];
    if (pattern.charCodeAt(i) === pattern.charCodeAt(k)) k++;
    fail[i] = k;
  }
  return (text: string): boolean => {
    if (text.length < m) return false;
    for (let i = 0, k = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      while (k > 0 && c !== pattern.charCodeAt(k)) k = fail[k - 1];
      if (c === pattern.charCodeAt(k)) k++;
      if (k === m) return true;
    }
    return false;
  };
}

/** Milliseconds since the epoch; a missing or unparsable date sorts after every real one. */
function createdTime(video: CatalogueVideo): number {
  const t = typeof video.createdAt === 'string' ? Date.parse(video.createdAt) : NaN;
  return Number.isNaN(t) ? Number.POSITIVE_INFINITY : t;
}

function idOf(video: CatalogueVideo): string {
  return typeof video.id === 'string' ? video.id : String(video.id ?? '');
}

/** Negative when `a` should win: shorter title, then older, then smaller id (code-unit order, locale-free). */
function compareTieBreak(aLen: number, a: CatalogueVideo, bLen: number, b: CatalogueVideo): number {
  if (aLen !== bLen) return aLen - bLen;
  const at = createdTime(a);
  const bt = createdTime(b);
  if (at !== bt) return at < bt ? -1 : 1;
  const ai = idOf(a);
  const bi = idOf(b);
  return ai < bi ? -1 : ai > bi ? 1 : 0;
}

function tagWordSet(tags: unknown): Set<string> {
  const set = new Set<string>();
  if (!Array.isArray(tags)) return set;
  for (const tag of tags) if (typeof tag === 'string') for (const w of titleWords(tag)) set.add(w);
  return set;
}

/** The best match for a requested title, or null. Linear in the catalogue size and the title length; never throws. */
export function bestVideoMatch(requested: string, catalogue: readonly CatalogueVideo[]): VideoMatch | null {
  try {
    return match(requested, catalogue);
  } catch {
    return null; // belt and braces: the code above has no throwing path we know of
  }
}

function match(requested: string, catalogue: readonly CatalogueVideo[]): VideoMatch | null {
  if (typeof requested !== 'string' || !Array.isArray(catalogue) || catalogue.length === 0) return null;
  const query = fold(cutRequest(requested));
  if (query.length === 0) return null;

  // Rules 2 and 3 in one pass: a containing title is never shorter than the request, and is exactly as long
  // only when it equals it, so "shortest containing title" puts an exact title first.
  const contains = containsMatcher(query);
  const folded: string[] = new Array<string>(catalogue.length);
  let best: CatalogueVideo | null = null;
  let bestLen = 0;
  for (let i = 0; i < catalogue.length; i++) {
    const video = catalogue[i];
    const title = video && typeof video.title === 'string' ? fold(video.title) : '';
    folded[i] = title;
    if (!contains(title)) continue;
    if (best === null || compareTieBreak(title.length, video, bestLen, best) < 0) {
      best = video;
      bestLen = title.length;
    }
  }
  if (best !== null) {
    return bestLen === query.length ? { video: best, how: 'exact', score: 1 } : { video: best, how: 'substring', score: query.length / bestLen };
  }

  // Rule 5: word overlap, counted in half points (a title word 2, a word found only in the tags 1).
  const wanted = titleWords(query);
  if (wanted.length === 0) return null;
  let bestPoints = 0;
  let bestTitleHits = 0;
  for (let i = 0; i < catalogue.length; i++) {
    const video = catalogue[i];
    if (!video) continue;
    const inTitle = new Set(titleWords(folded[i]));
    let titleHits = 0;
    let missing = false;
    for (const w of wanted) {
      if (inTitle.has(w)) titleHits++;
      else missing = true;
    }
    let tagHits = 0;
    if (missing && video.tags) {
      const inTags = tagWordSet(video.tags);
      for (const w of wanted) if (!inTitle.has(w) && inTags.has(w)) tagHits++;
    }
    const points = 2 * titleHits + tagHits;
    if (points === 0) continue;
    const better =
      best === null ||
      points > bestPoints ||
      (points === bestPoints && (titleHits > bestTitleHits || (titleHits === bestTitleHits && compareTieBreak(folded[i].length, video, bestLen, best) < 0)));
    if (better) {
      best = video;
      bestPoints = points;
      bestTitleHits = titleHits;
      bestLen = folded[i].length;
    }
  }
  if (best === null) return null;
  const score = bestPoints / (2 * wanted.length);
  return score >= MIN_WORD_SCORE ? { video: best, how: 'words', score } : null;
}
