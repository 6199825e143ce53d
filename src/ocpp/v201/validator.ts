// ocpp-rpc's strict-mode validator for OCPP 2.0.1, with the error codes spelled as 2.0.1 spells them: the library
// answers every protocol in 1.6's spelling (OccurenceConstraintViolation), which a strict 2.0.1 station may reject.
import { createRPCError, createValidator, RPCError } from 'ocpp-rpc';
import schemas from 'ocpp-rpc/lib/schemas/ocpp2_0_1.json';

/** 1.6's spellings of error codes (OCPP-J 1.6 §4.2.3) and 2.0.1's (OCPP-J 2.0.1 §4.3). */
const SPELLING_201: Readonly<Record<string, string>> = {
  OccurenceConstraintViolation: 'OccurrenceConstraintViolation',
  FormationViolation: 'FormatViolation',
};

type Validator = ReturnType<typeof createValidator>;

export function ocpp201Validator(): Validator {
  const standard = createValidator('ocpp2.0.1', schemas);
  const validate = standard.validate.bind(standard);
  const respelled: Validator['validate'] = (schemaId, params) => {
    try {
      return validate(schemaId, params);
    } catch (error) {
      const spelled = error instanceof RPCError ? SPELLING_201[error.rpcErrorCode] : undefined;
      if (!spelled || !(error instanceof RPCError)) throw error;
      throw createRPCError(spelled, error.rpcErrorMessage || error.message, Reflect.get(error, 'details') ?? {});
    }
  };
  standard.validate = respelled;
  return standard;
}
