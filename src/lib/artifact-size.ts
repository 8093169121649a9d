// The size bound on uploaded artifacts (Flink's jars), shared by the runtime that stores them and the
// dialect route that reads an upload's body (Flink exempts uploads from its request limit; jobgate
// bounds them: a jar jobgate runs needs only the job definition inside it).

/** The largest artifact stored, in bytes. */
export const MAX_ARTIFACT_BYTES = 16 * 1_048_576;
