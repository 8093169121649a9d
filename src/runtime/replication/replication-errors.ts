// Why a replication cannot start: something missing at a server (a setting, a privilege, a table)
// or a server out of reach. Checked up front it becomes a BadInputError naming the field; found
// while running, the run fails with this message.
export class ReplicationSetupError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ReplicationSetupError';
  }
}
