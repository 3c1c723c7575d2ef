/** The paced generator's process (PacedGenerator in bench/paced.ts): runs each spec it is sent, answers its result. */
import { type PacedSpec, pacedLoop } from './paced.js';

process.on('message', (spec: PacedSpec) => {
  void pacedLoop(spec).then((result) => process.send!(result));
});
// The parent went away: nothing more will be asked.
process.on('disconnect', () => process.exit(0));
