import { isRedisUnavailableError } from './redis-client';

describe('isRedisUnavailableError', () => {
  it.each([
    'MISCONF Redis is configured to save RDB snapshots, but it is currently not able to persist on disk.',
    'BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE.',
    'NOAUTH Authentication required.',
    'READONLY You can\'t write against a read only replica.',
    'CLUSTERDOWN The cluster is down',
    'TRYAGAIN Multiple keys request during rehashing of slot',
    'MOVED 3999 127.0.0.1:6381',
    'LOADING Redis is loading the dataset in memory',
    'OOM command not allowed when used memory > \'maxmemory\'.',
    'ERR Error running script (call to f_abc): @user_script:3: MISCONF Errors writing to the AOF file',
    'Connection is closed.',
    'connect ECONNREFUSED 127.0.0.1:6379',
  ])('treats %j as the store being unavailable (503, retried, never dead-lettered)', (message) => {
    expect(isRedisUnavailableError(new Error(message))).toBe(true);
  });

  it.each(['BUSYGROUP Consumer Group name already exists', 'ERR wrong number of arguments', 'WRONGTYPE Operation against a key holding the wrong kind of value'])(
    'leaves %j to the caller (a bug or a poison input, not an outage)',
    (message) => expect(isRedisUnavailableError(new Error(message))).toBe(false),
  );
});
