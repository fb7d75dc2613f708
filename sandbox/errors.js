'use strict';
// The gateway's error envelopes: LiteLLM's ProxyException, FastAPI's HTTPException and pydantic 422s.

const U = require('./lib/util');

const ENTERPRISE_REGENERATE_MESSAGE =
	'Regenerating Virtual Keys is an Enterprise feature, You must be a LiteLLM Enterprise user to use this feature. ' +
	'If you have a license please set `LITELLM_LICENSE` in your env. Get a 7 day trial key here: https://www.litellm.ai/#trial. ' +
	'\nPricing: https://www.litellm.ai/#pricing';

const NO_USER_ID_MESSAGE =
	"You are not authorized to access this endpoint. No 'user_id' is associated with your API key.";

class HttpError extends Error {
	constructor(status, body, headers) {
		super(typeof body === 'string' ? body : JSON.stringify(body));
		this.status = status;
		this.body = body;
		this.headers = headers || {};
	}
}

/** ProxyException.to_dict(): {"error": {message, type, param, code: str(status)}}. */
function proxyError(status, message, type, param, headers) {
	return new HttpError(status, { error: { message, type, param, code: String(status) } }, headers);
}

/** A raw FastAPI HTTPException: {"detail": …}. */
function detailError(status, detail) {
	return new HttpError(status, { detail });
}

/**
 * A key value that is already taken: the unique constraint on LiteLLM_VerificationToken.token fails
 * in the database write. `generate_key_helper_fn` turns that into HTTPException(500,
 * {"error": "Internal Server Error."}) and `regenerate_key_fn`'s handler into a 500 through
 * `handle_exception_on_proxy` (key_management_endpoints.py): a 500, indistinguishable by status
 * from regenerate's "needs Enterprise".
 */
function duplicateTokenError() {
	return wrappedHttpError(500, { error: 'Internal Server Error.' });
}

/** handle_exception_on_proxy(HTTPException): message = str(detail), type internal_server_error. */
function wrappedHttpError(status, detail) {
	const message = typeof detail === 'string' ? detail : U.pyDict(detail);
	return proxyError(status, message, 'internal_server_error', 'None');
}

/** A FastAPI/pydantic 422. */
function validationError(loc, msg, input, type = 'value_error') {
	return new HttpError(422, {
		detail: [{ type, loc, msg, input: input === undefined ? null : input }],
	});
}

module.exports = {
	HttpError,
	proxyError,
	detailError,
	duplicateTokenError,
	wrappedHttpError,
	validationError,
	ENTERPRISE_REGENERATE_MESSAGE,
	NO_USER_ID_MESSAGE,
};
