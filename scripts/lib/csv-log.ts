/** `--csv FILE` for train: the CSV training log, its problems as one line for the user. */
import { CsvLogError, CsvLogFile } from '../../src/io/csv-log-file.js';
import { UserError } from '../../src/platform/node-gpu.js';

export function openCsvLog(file: string): CsvLogFile {
  try {
    return CsvLogFile.open(file);
  } catch (e) {
    if (e instanceof CsvLogError) throw new UserError(`--csv: ${e.message}`);
    throw e;
  }
}
