import { blockStateOperation } from '../../helpers/blockState';

const operation = blockStateOperation('unblock', 'Unblocks a key the gateway admins blocked. Needs an admin key.');

export const description = operation.description;
export const execute = operation.execute;
