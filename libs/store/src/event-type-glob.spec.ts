import { matchesTypeGlob } from './event-type-glob';

describe('matchesTypeGlob', () => {
  it.each([
    ['*', 'whatsapp.message.received', true],
    ['whatsapp.message.*', 'whatsapp.message.received', true],
    ['whatsapp.message.*', 'whatsapp.messages', false],
    ['*.session_ended', 'digitalsamba.session_ended', true],
    ['*.session_ended', 'digitalsamba.session_ended_late', false],
    ['whatsapp.?essage.received', 'whatsapp.message.received', true],
    ['whatsapp.message.received', 'whatsapp-message-received', false],
    ['tavus.(x)', 'tavus.(x)', true],
  ])('%s vs %s -> %s', (pattern, type, expected) => {
    expect(matchesTypeGlob(pattern, type)).toBe(expected);
  });
});
