import { blockStateOperation } from '../../helpers/blockState';

const operation = blockStateOperation(
	'unblock',
	"Unblocks a blocked key. Needs an admin key (or a key of the admin of the blocked key's team); a blocked key cannot unblock itself.",
);

export const description = operation.description;
export const execute = operation.execute;
