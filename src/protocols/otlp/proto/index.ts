import protobuf from 'protobufjs';
import { OTLP_LOGS_PROTO } from './otlp-logs.js';

const root = protobuf.parse(OTLP_LOGS_PROTO, { keepCase: false }).root;

/** Decoders/encoders; field names are lowerCamelCase, as in OTLP/JSON. */
export const ExportLogsServiceRequest = root.lookupType('opentelemetry.proto.ExportLogsServiceRequest');
export const ExportLogsServiceResponse = root.lookupType('opentelemetry.proto.ExportLogsServiceResponse');
export const Status = root.lookupType('opentelemetry.proto.Status');
