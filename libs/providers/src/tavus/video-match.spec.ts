import { CatalogueVideo, bestVideoMatch, titleWords } from './video-match';

let seq = 0;
function video(title: string, extra: Partial<CatalogueVideo> = {}): CatalogueVideo {
  seq++;
  return { id: `v${String(seq).padStart(5, '0')}`, title, url: `https://videos.example/${seq}.mp4`, createdAt: '2024-01-01T00:00:00Z', ...extra };
}
const titleOf = (requested: string, catalogue: CatalogueVideo[]) => bestVideoMatch(requested, catalogue)?.video.title ?? null;

describe('titleWords', () => {
  it('lower-cases, folds accents, drops stop words and punctuation', () => {
    expect(titleWords('Show me the Démo of Café Pricing!')).toEqual(['demo', 'cafe', 'pricing']);
    expect(titleWords('Play my VIDEO for an Overview, and to 2024')).toEqual(['overview', '2024']);
  });
  it('keeps Unicode letters and digits, dedupes, and keeps at most 50 words', () => {
    expect(titleWords('Ünïcödé 東京 ٣ demo DEMO demo')).toEqual(['unicode', '東京', '٣', 'demo']);
    const many = Array.from({ length: 80 }, (_, i) => `w${i}`).join(' ');
    const words = titleWords(many);
    expect(words).toHaveLength(50);
    expect(words[0]).toBe('w0');
    expect(words[49]).toBe('w49');
  });
  it('returns [] for empty, stop-word-only or non-string input', () => {
    expect(titleWords('')).toEqual([]);
    expect(titleWords('   \t\n ')).toEqual([]);
    expect(titleWords('show me the video')).toEqual([]);
    expect(titleWords(undefined as unknown as string)).toEqual([]);
  });
});

describe('bestVideoMatch', () => {
  const overview = video('Product Demo Overview');
  const demo = video('Demo');

  it('matches the seed example exactly', () => {
    expect(bestVideoMatch('Product Demo Overview', [overview, demo])).toEqual({ video: overview, how: 'exact', score: 1 });
  });

  it('finds "product demo" inside "Product Demo Overview" like ilike %q%', () => {
    const m = bestVideoMatch('product demo', [overview, video('Pricing')]);
    expect(m?.video).toBe(overview);
    expect(m?.how).toBe('substring');
    expect(m?.score).toBeCloseTo('product demo'.length / 'product demo overview'.length);
  });

  it('prefers an exact title over a containing one', () => {
    expect(bestVideoMatch('demo', [overview, demo])).toEqual({ video: demo, how: 'exact', score: 1 });
    expect(bestVideoMatch('  DEMO  ', [demo, overview])?.how).toBe('exact');
  });

  it('among containing titles chooses the shortest, then the oldest, then the smallest id', () => {
    const company = video('Company Overview');
    expect(titleOf('overview', [overview, company])).toBe('Company Overview');

    const newer = video('Team Overview', { id: 'a', createdAt: '2024-06-01T00:00:00Z' });
    const older = video('Tech Overview', { id: 'z', createdAt: '2023-06-01T00:00:00Z' });
    expect(bestVideoMatch('overview', [newer, older, overview])?.video).toBe(older);

    const idB = video('Team Overview', { id: 'b', createdAt: '2023-06-01T00:00:00Z' });
    const idA = video('Tech Overview', { id: 'a', createdAt: '2023-06-01T00:00:00Z' });
    expect(bestVideoMatch('overview', [idB, idA])?.video).toBe(idA);
    expect(bestVideoMatch('overview', [idA, idB])?.video).toBe(idA);
  });

  it('treats the request as literal text, only title-contains-request (not the reverse)', () => {
    expect(bestVideoMatch('Product Demo Overview Extended Cut', [overview, demo])?.how).not.toBe('substring');
    expect(titleOf('50% off', [video('Get 50% off today'), video('5000 offers')])).toBe('Get 50% off today');
    expect(titleOf('a_b', [video('aXb'), video('the a_b test')])).toBe('the a_b test');
  });

  it('ignores case, accents and extra whitespace on both sides', () => {
    const accented = video('Démo   Café\tTour');
    expect(bestVideoMatch('demo cafe tour', [accented])).toEqual({ video: accented, how: 'exact', score: 1 });
    expect(bestVideoMatch('DÉMO CAFÉ', [accented])?.how).toBe('substring');
    expect(titleOf('İstanbul', [video('istanbul office')])).toBe('istanbul office');
  });

  it('falls back to word overlap', () => {
    const pricing = video('Our Pricing Plans');
    const m = bestVideoMatch('pricing plans explained', [overview, pricing, video('Security')]);
    expect(m?.video).toBe(pricing);
    expect(m?.how).toBe('words');
    expect(m?.score).toBeCloseTo(2 / 3);
    expect(titleOf('show me the plans for pricing', [overview, pricing])).toBe('Our Pricing Plans');
  });

  it('counts words found only in tags at half weight', () => {
    const tagged = video('Getting Started', { tags: ['Onboarding', 'first steps'] });
    expect(bestVideoMatch('onboarding', [tagged])).toEqual({ video: tagged, how: 'words', score: 0.5 });
    expect(bestVideoMatch('onboarding steps', [tagged])).toEqual({ video: tagged, how: 'words', score: 0.5 });
    expect(bestVideoMatch('onboarding checklist', [tagged])).toBeNull(); // 0.25
    // A title word outweighs a tag word; at equal score, more title hits win.
    const titled = video('Onboarding Basics');
    const allTags = video('Welcome', { tags: ['onboarding', 'checklist'] });
    const m = bestVideoMatch('onboarding checklist', [allTags, titled]);
    expect(m?.video).toBe(titled);
    expect(m?.score).toBe(0.5);
    // A word both in the title and the tags counts once, at full weight.
    const both = video('Security Basics', { tags: ['security'] });
    expect(bestVideoMatch('security audit', [both])?.score).toBe(0.5);
  });

  it('breaks word-score ties by title hits, then the shortest title, then age and id', () => {
    const long = video('Quarterly Roadmap Review Session Recording');
    const short = video('Roadmap Review Quarterly');
    expect(titleOf('review quarterly roadmap', [long, short])).toBe('Roadmap Review Quarterly');
    const x = video('Alpha Beta', { id: 'x', createdAt: '2024-01-02T00:00:00Z' });
    const y = video('Beta Alpha', { id: 'y', createdAt: '2024-01-01T00:00:00Z' });
    expect(bestVideoMatch('alpha beta gamma', [x, y])?.video).toBe(y);
  });

  it('returns null below the threshold, for an empty catalogue, and for an empty request', () => {
    expect(bestVideoMatch('pricing plans explained today', [video('Our Pricing')])).toBeNull(); // 1/4
    expect(bestVideoMatch('Product Demo Overview', [])).toBeNull();
    expect(bestVideoMatch('', [overview])).toBeNull();
    expect(bestVideoMatch('   \t\n  ', [overview])).toBeNull();
    expect(bestVideoMatch('show me the video', [video('How to show me the video trick')])?.how).toBe('substring'); // stop words still count as text
    expect(bestVideoMatch('play the video', [overview])).toBeNull(); // stop words only, no substring
  });

  it('never throws on hostile input', () => {
    const catalogue = [overview, demo, video('Regex (.*)+ explained'), video('😀 Emoji Special'), video('Null\u0000Byte Title')];
    const hostile = [
      '(.*)+',
      '^$|[a-z]*\\',
      '(a+)+$'.repeat(50),
      'x'.repeat(100_000),
      `${'a'.repeat(99_999)}!`,
      ' '.repeat(100_000),
      '😀',
      '😀'.repeat(400),
      'demo\u0000',
      '\u0000\u0000\u0000',
      '\uD800\uDFFF\uDC00 lone surrogates',
      '\u202Eoverview\u202C',
      '%_%',
      'Z̴̧͇̈́a̶̤͛l̷̩̈g̸̱̈́o̵͙͝',
    ];
    for (const request of hostile) expect(() => bestVideoMatch(request, catalogue)).not.toThrow();
    expect(titleOf('(.*)+', catalogue)).toBe('Regex (.*)+ explained');
    expect(titleOf('😀', catalogue)).toBe('😀 Emoji Special');
    expect(titleOf('null\u0000byte', catalogue)).toBe('Null\u0000Byte Title');
    expect(bestVideoMatch('x'.repeat(100_000), catalogue)).toBeNull();
    // A surrogate pair straddling the 500-character cut is dropped whole, not split.
    expect(() => bestVideoMatch(`${'a'.repeat(499)}😀`, catalogue)).not.toThrow();

    const malformed = [null, { id: 1, title: 42 }, { title: 'Demo Day', tags: 'nope', createdAt: 'not a date' }, { title: 'Demo Days', tags: [null, 7, 'x'] }];
    expect(() => bestVideoMatch('demo', malformed as unknown as CatalogueVideo[])).not.toThrow();
    expect(titleOf('demo', malformed as unknown as CatalogueVideo[])).toBe('Demo Day');
    expect(() => bestVideoMatch('x demo nope', malformed as unknown as CatalogueVideo[])).not.toThrow(); // word pass over bad tags
    expect(bestVideoMatch(undefined as unknown as string, catalogue)).toBeNull();
    expect(bestVideoMatch('demo', undefined as unknown as CatalogueVideo[])).toBeNull();
  });

  describe('a 10,000-video catalogue', () => {
    const topics = ['onboarding', 'pricing', 'security', 'integrations', 'analytics', 'billing', 'support'];
    const big: CatalogueVideo[] = Array.from({ length: 10_000 }, (_, i) =>
      video(`Episode ${i} ${topics[i % topics.length]} deep dive`, { tags: [topics[(i + 3) % topics.length]], createdAt: new Date(Date.UTC(2020, 0, 1) + i * 60_000).toISOString() }),
    );
    const longTitle = `Annual keynote ${'with many long segments '.repeat(30)}finale`; // > 500 characters
    const keynote = video(longTitle);
    const roadmap = video('Quarterly Roadmap Review 2024');
    const catalogue = [...big.slice(0, 5000), keynote, roadmap, ...big.slice(5000)];

    it('finds an exact title', () => {
      expect(bestVideoMatch(big[7321].title.toUpperCase(), catalogue)).toEqual({ video: big[7321], how: 'exact', score: 1 });
    });

    it('picks the shortest, then oldest, containing title', () => {
      // "episode 12" is also in Episode 120..129 and 1200..1299, all longer.
      expect(titleOf('episode 12', catalogue)).toBe('Episode 12 billing deep dive');
      // Every Episode title contains "deep dive"; the shortest have one digit and a 7-letter topic (1, 5, 6, 8),
      // and of those Episode 1 is the oldest.
      expect(titleOf('deep dive', catalogue)).toBe('Episode 1 pricing deep dive');
    });

    it('cuts a 500+ character request to 500 and still finds its title', () => {
      expect(longTitle.length).toBeGreaterThan(500);
      const m = bestVideoMatch(longTitle, catalogue);
      expect(m?.video).toBe(keynote);
      expect(m?.how).toBe('substring');
      expect(m?.score).toBe(longTitle.slice(0, 500).trim().length / longTitle.length); // the cut ends on a space, trimmed
    });

    it('matches by words when no title contains the request', () => {
      expect(bestVideoMatch('roadmap quarterly review', catalogue)).toEqual({ video: roadmap, how: 'words', score: 1 });
      const noisy = `${'zz '.repeat(150)}roadmap quarterly review`; // 474 characters, mostly one repeated word
      expect(bestVideoMatch(noisy, catalogue)?.video).toBe(roadmap);
      expect(bestVideoMatch('nothing here matches anything', catalogue)).toBeNull();
    });
  });
});
