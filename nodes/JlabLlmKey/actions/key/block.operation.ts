import { blockStateOperation } from '../../helpers/blockState';

const operation = blockStateOperation(
	'block',
	'Blocks a key: the gateway refuses every request with it until it is unblocked. Needs an admin key.',
);

export const description = operation.description;
export const execute = operation.execute;
