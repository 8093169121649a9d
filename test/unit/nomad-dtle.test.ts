// The dtle job → REPLICATION document mapping and Nomad's job checks, as pure functions: what each
// dtle option becomes, what is refused and with which Nomad status and text, and the way back
// (the dtle task configs a stored document reads as, without its passwords).
import { describe, expect, it } from 'vitest';
import { dtleConfigsOf, replicationOf } from '../../src/shim/nomad/dtle-replication.ts';
import { parseRegisterBody } from '../../src/shim/nomad/nomad-job.ts';
import { NomadError } from '../../src/shim/nomad/respond.ts';
import { parseGoDuration } from '../../src/shim/nomad/blocking.ts';
import { goJsonError } from '../../src/shim/nomad/request-body.ts';

const conn = (host: string, password = 'secret') => ({
  Host: host,
  Port: 3307,
  User: 'root',
  Password: password,
});

function dtleJob(
  src: Record<string, unknown>,
  dest: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) {
  return {
    Job: {
      ID: 'job1',
      Datacenters: ['dc1'],
      TaskGroups: [
        {
          Name: 'src',
          Tasks: [{ Name: 'src', Driver: 'dtle', Config: { ConnectionConfig: conn('10.0.0.1'), ...src } }],
        },
        {
          Name: 'dest',
          Tasks: [{ Name: 'dest', Driver: 'dtle', Config: { ConnectionConfig: conn('10.0.0.2'), ...dest } }],
        },
      ],
      ...extra,
    },
  };
}

function refusal(fn: () => unknown): { status: number; message: string } {
  try {
    fn();
  } catch (err) {
    if (err instanceof NomadError) return { status: err.status, message: err.message };
    throw err;
  }
  throw new Error('expected a NomadError');
}

const map = (body: unknown) => replicationOf(parseRegisterBody(body)).document;

describe('dtle job → REPLICATION document', () => {
  it('maps connections, ReplicateDoDb (schema, table, regex forms), ReplicateIgnoreDb and Gtid', () => {
    const document = map(
      dtleJob({
        Gtid: 'acd7d195-06cd-11e9-928f-02000aba3e28:1-10',
        ReplicateDoDb: [
          { TableSchema: 'db1', Tables: [{ TableName: 't1' }, { TableRegex: '^orders_' }] },
          { TableSchema: 'db2' },
          { TableSchemaRegex: '^shop_' },
        ],
        ReplicateIgnoreDb: [{ TableSchema: 'db2', Tables: [{ TableName: 'tmp' }] }, { TableSchema: 'db3' }],
      }),
    );
    expect(document).toEqual({
      source: { type: 'mysql', host: '10.0.0.1', port: 3307, user: 'root', password: 'secret' },
      destination: { type: 'mysql', host: '10.0.0.2', port: 3307, user: 'root', password: 'secret' },
      tables: [
        { schema: 'db1', table: 't1' },
        { schema: 'db1', tableRegex: '^orders_' },
        { schema: 'db2' },
        { schemaRegex: '^shop_' },
      ],
      ignore: [{ schema: 'db2', table: 'tmp' }, { schema: 'db3' }],
      position: { gtid: 'acd7d195-06cd-11e9-928f-02000aba3e28:1-10' },
    });
  });

  it('maps TableSchemaRename and TableRename onto rename rules, and reads them back', () => {
    const document = map(
      dtleJob({
        ReplicateDoDb: [
          {
            TableSchema: 'a',
            TableSchemaRename: 'b',
            Tables: [{ TableName: 't', TableRename: 'u' }, { TableName: 'v' }],
          },
        ],
      }),
    );
    expect(document.rename).toEqual([
      { schema: 'a', toSchema: 'b' },
      { schema: 'a', table: 't', toSchema: 'b', toTable: 'u' },
    ]);
    expect(dtleConfigsOf(document).src.ReplicateDoDb).toEqual([
      {
        TableSchema: 'a',
        TableSchemaRegex: '',
        TableSchemaRename: 'b',
        Tables: [
          { TableName: 't', TableRegex: '', TableRename: 'u' },
          { TableName: 'v', TableRegex: '' },
        ],
      },
    ]);
  });

  it('reads the 2.x layout (Src/DestConnectionConfig on the src task), binlog positions and lowercase keys', () => {
    const body = {
      job: {
        id: 'job2',
        datacenters: ['dc1'],
        taskgroups: [
          {
            name: 'src',
            tasks: [
              {
                name: 'src',
                driver: 'dtle',
                config: {
                  SrcConnectionConfig: conn('a'),
                  DestConnectionConfig: { Host: 'b', User: 'u' },
                  BinlogFile: 'mysql-bin.000003',
                  BinlogPos: 1234,
                },
              },
            ],
          },
          { name: 'dest', tasks: [{ name: 'dest', driver: 'dtle', config: { DestType: 'mysql' } }] },
        ],
      },
    };
    const document = map(body);
    expect(document.source.host).toBe('a');
    expect(document.destination).toEqual({ type: 'mysql', host: 'b', port: 3306, user: 'u' });
    expect(document.position).toEqual({ file: 'mysql-bin.000003', offset: 1234 });
    expect(document.tables).toEqual([]);
  });

  it('refuses what it would not honour, as 400 naming the option', () => {
    const cases: [Record<string, unknown>, Record<string, unknown>, RegExp][] = [
      [
        { ReplicateDoDb: [{ TableSchemaRegex: 'a', TableSchemaRename: 'b' }] },
        {},
        /TableSchemaRename is not supported with TableSchemaRegex/,
      ],
      [
        { ReplicateIgnoreDb: [{ TableSchema: 'a', TableSchemaRename: 'b' }] },
        {},
        /TableSchemaRename is not supported here/,
      ],
      [
        { ReplicateDoDb: [{ TableSchema: 'a', Tables: [{ TableName: 't', Where: 'id>1' }] }] },
        {},
        /Where is not supported/,
      ],
      [
        { ReplicateDoDb: [{ TableSchema: 'a', Tables: [{ TableRegex: '(' }] }] },
        {},
        /not a valid regular expression/,
      ],
      [{ ReplicateDoDb: [{ Tables: [{ TableName: 't' }] }] }, {}, /needs TableSchema or TableSchemaRegex/],
      [{}, { DestType: 'kafka' }, /DestType "kafka" is not supported/],
      [{ ConnectionConfig: { Host: '', User: 'x' } }, {}, /ConnectionConfig.Host is missing/],
      [{ BinlogFile: 'f' }, {}, /BinlogFile and BinlogPos go together/],
    ];
    for (const [src, dest, message] of cases) {
      const { status, message: text } = refusal(() => map(dtleJob(src, dest)));
      expect(status).toBe(400);
      expect(text).toMatch(message);
    }
    const noDest = dtleJob({});
    noDest.Job.TaskGroups.pop();
    expect(refusal(() => map(noDest))).toEqual({
      status: 400,
      message: 'dtle job: needs a task named src and a task named dest',
    });
  });

  it("answers Nomad's own checks as Nomad does: 400 from the handler, 500 multierror from Validate", () => {
    expect(refusal(() => parseRegisterBody({}))).toEqual({ status: 400, message: 'Job must be specified' });
    expect(refusal(() => parseRegisterBody({ Job: { Name: 'x' } }))).toEqual({
      status: 400,
      message: "Job ID hasn't been provided",
    });
    expect(refusal(() => parseRegisterBody(dtleJob({}), 'other'))).toEqual({
      status: 400,
      message: 'Job ID does not match name',
    });
    expect(refusal(() => parseRegisterBody({ Job: { ID: 'x', Datacenters: ['dc1'] } }))).toEqual({
      status: 500,
      message: '1 error occurred:\n\t* Missing job task groups\n\n',
    });
    expect(refusal(() => parseRegisterBody({ Job: { ID: 'x' } })).message).toBe(
      '2 errors occurred:\n\t* Missing job datacenters\n\t* Missing job task groups\n\n',
    );
    const noTasks = refusal(() =>
      parseRegisterBody({ Job: { ID: 'x', Datacenters: ['dc1'], TaskGroups: [{ Name: 'src' }] } }),
    );
    expect(noTasks.status).toBe(500);
    expect(noTasks.message).toContain(
      'Task group src validation failed: 1 error occurred:\n\t* Missing tasks for task group',
    );
    const docker = dtleJob({});
    docker.Job.TaskGroups[0]!.Tasks[0]!.Driver = 'docker';
    const unknown = refusal(() => map(docker));
    expect(unknown.status).toBe(500);
    expect(unknown.message).toMatch(/missing drivers.*"docker"/);
    expect(refusal(() => parseRegisterBody({ Job: { ID: 5 } })).message).toMatch(
      /cannot unmarshal number into Go struct field Job.ID of type string/,
    );
  });

  it('reads a stored document back as dtle task configs, the password as stored (redacted)', () => {
    const configs = dtleConfigsOf({
      source: { type: 'mysql', host: 'h', port: 3306, user: 'u', password: '[redacted]' },
      destination: { type: 'mysql', host: 'd', port: 3306, user: 'u' },
      tables: [
        { schema: 'db1', table: 't1' },
        { schema: 'db1', tableRegex: '^x' },
        { schemaRegex: '^s' },
        { schema: 'db2' },
      ],
      ignore: [],
      position: { gtid: 'g:1-2' },
    });
    expect(configs.src).toEqual({
      Gtid: 'g:1-2',
      ReplicateDoDb: [
        {
          TableSchema: 'db1',
          TableSchemaRegex: '',
          Tables: [
            { TableName: 't1', TableRegex: '' },
            { TableName: '', TableRegex: '^x' },
          ],
        },
        { TableSchema: '', TableSchemaRegex: '^s', Tables: null },
        { TableSchema: 'db2', TableSchemaRegex: '', Tables: null },
      ],
      ReplicateIgnoreDb: [],
      ConnectionConfig: { Host: 'h', Port: 3306, User: 'u', Password: '[redacted]' },
    });
    expect(configs.dest.ConnectionConfig).toEqual({ Host: 'd', Port: 3306, User: 'u', Password: '' });
  });
});

describe('Go parsing helpers', () => {
  it('parses Go durations as time.ParseDuration does', () => {
    expect(parseGoDuration('10s')).toBe(10_000);
    expect(parseGoDuration('1m30s')).toBe(90_000);
    expect(parseGoDuration('250ms')).toBe(250);
    expect(parseGoDuration('0')).toBe(0);
    expect(parseGoDuration('10')).toBeUndefined();
    expect(parseGoDuration('abc')).toBeUndefined();
  });

  it("words JSON errors as Go's decoder", () => {
    expect(goJsonError('', new Error())).toBe('EOF');
    expect(goJsonError('ata', new Error())).toBe("invalid character 'a' looking for beginning of value");
    let err: unknown;
    try {
      JSON.parse('{"Job": {');
    } catch (e) {
      err = e;
    }
    expect(goJsonError('{"Job": {', err)).toBe('unexpected EOF');
  });
});
