import { parseBridgeResponse, parseCallbackData, telegramActor } from './approval-replies';

const ID = 'apr_01KBCDEFGHJKMNPQRSTVWXYZ01';

describe('parseCallbackData', () => {
  it.each([
    [`approve_${ID}`, 'approve'],
    [`reject_${ID}`, 'reject'],
    [`deny_${ID}`, 'reject'],
  ])('reads %s as %s', (data, decision) => {
    expect(parseCallbackData(data)).toEqual({ approvalId: ID, decision });
  });

  it.each([['approve_deploy_prod_001'], [`APPROVE_${ID}`], [`approve_${ID}x`], [` approve_${ID}`], [42], [undefined], [`approve_${ID.toLowerCase()}`]])(
    'ignores %j (another flow, or not an approval id)',
    (data) => expect(parseCallbackData(data)).toBeNull(),
  );
});

describe('parseBridgeResponse', () => {
  const reply = (text: unknown, eventId: unknown = ID) => ({ event_id: eventId, message: { text } });

  it('prefers the callback_data of a button', () => {
    expect(parseBridgeResponse({ ...reply('Deny'), callback_data: `approve_${ID}` })).toEqual({ approvalId: ID, decision: 'approve' });
  });

  it.each([
    ['Approve', 'approve'],
    ['yes, approved', 'approve'],
    ['Deny', 'reject'],
    ['denied', 'reject'],
    ['I reject this', 'reject'],
  ])('reads the reply text %j about event_id = the approval as %s', (text, decision) => {
    expect(parseBridgeResponse(reply(text))).toEqual({ approvalId: ID, decision });
  });

  it.each([['Review'], ['approve, no deny'], ['disapprove'], [''], [7]])('decides nothing for the text %j', (text) => {
    expect(parseBridgeResponse(reply(text))).toBeNull();
  });

  it('decides nothing when event_id is not an approval id (the document example evt_abc123def456)', () => {
    expect(parseBridgeResponse(reply('Approve', 'evt_abc123def456'))).toBeNull();
    expect(parseBridgeResponse(undefined)).toBeNull();
  });
});

describe('telegramActor', () => {
  it('keeps the user id and the username, else the first name, bounded', () => {
    expect(telegramActor('telegram', { id: 42, username: 'ada', first_name: 'Ada' })).toEqual({ channel: 'telegram', id: '42', name: 'ada' });
    expect(telegramActor('cctelegram', { id: '7', first_name: 'J'.repeat(100) })).toEqual({ channel: 'cctelegram', id: '7', name: 'J'.repeat(64) });
    expect(telegramActor('telegram', { id: { evil: true } })).toEqual({ channel: 'telegram' });
  });
});
