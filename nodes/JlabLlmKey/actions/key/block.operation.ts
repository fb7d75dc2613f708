import { blockStateOperation } from '../../helpers/blockState';

const operation = blockStateOperation(
	'block',
	"Blocks a key: the gateway refuses every request with it until it is unblocked. A user key may block keys too, but only an admin key can unblock them; blocking this credential's own key needs the option below.",
);

export const description = operation.description;
export const execute = operation.execute;
