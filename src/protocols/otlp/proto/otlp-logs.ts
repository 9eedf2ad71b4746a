/**
 * The OTLP logs messages, vendored from opentelemetry-proto (Apache-2.0): common/v1/common.proto,
 * resource/v1/resource.proto, logs/v1/logs.proto and collector/logs/v1/logs_service.proto, plus
 * google/rpc/status.proto for error replies. Only the messages this receiver decodes or encodes;
 * field numbers and types as published (AnyValue's oneof noted below). Kept as text in a module (not .proto files) so the build
 * output needs nothing copied beside it.
 */
export const OTLP_LOGS_PROTO = `
syntax = "proto3";
package opentelemetry.proto;

message AnyValue {
  // Published as a oneof named value. Declared here as proto3 optional fields, the same wire
  // format: protobufjs's bookkeeping for a real oneof deletes the other members' properties on
  // every decoded value (~1.2 µs per log record), and plain fields would drop a false or 0
  // value's presence. A set member is an own property, as with the oneof.
  optional string string_value = 1;
  optional bool bool_value = 2;
  optional int64 int_value = 3;
  optional double double_value = 4;
  optional ArrayValue array_value = 5;
  optional KeyValueList kvlist_value = 6;
  optional bytes bytes_value = 7;
}
message ArrayValue { repeated AnyValue values = 1; }
message KeyValueList { repeated KeyValue values = 1; }
message KeyValue {
  string key = 1;
  AnyValue value = 2;
}
message InstrumentationScope {
  string name = 1;
  string version = 2;
  repeated KeyValue attributes = 3;
  uint32 dropped_attributes_count = 4;
}
message Resource {
  repeated KeyValue attributes = 1;
  uint32 dropped_attributes_count = 2;
}

message ResourceLogs {
  Resource resource = 1;
  repeated ScopeLogs scope_logs = 2;
  string schema_url = 3;
}
message ScopeLogs {
  InstrumentationScope scope = 1;
  repeated LogRecord log_records = 2;
  string schema_url = 3;
}
message LogRecord {
  fixed64 time_unix_nano = 1;
  fixed64 observed_time_unix_nano = 11;
  int32 severity_number = 2;
  string severity_text = 3;
  AnyValue body = 5;
  repeated KeyValue attributes = 6;
  uint32 dropped_attributes_count = 7;
  fixed32 flags = 8;
  bytes trace_id = 9;
  bytes span_id = 10;
  string event_name = 12;
}

message ExportLogsServiceRequest { repeated ResourceLogs resource_logs = 1; }
message ExportLogsServiceResponse { ExportLogsPartialSuccess partial_success = 1; }
message ExportLogsPartialSuccess {
  int64 rejected_log_records = 1;
  string error_message = 2;
}

message Any {
  string type_url = 1;
  bytes value = 2;
}
message Status {
  int32 code = 1;
  string message = 2;
  repeated Any details = 3;
}
`;
