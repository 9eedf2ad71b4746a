import protobuf from 'protobufjs';

/**
 * Loki's push API messages (pkg/push/push.proto, Apache-2.0; the gogoproto
 * options removed, which change only Go code generation). `Timestamp` is
 * google.protobuf.Timestamp's wire layout, declared here so the file stands alone.
 */
const PUSH_PROTO = `
syntax = "proto3";
package logproto;

message PushRequest { repeated StreamAdapter streams = 1; }
message StreamAdapter {
  string labels = 1;
  repeated EntryAdapter entries = 2;
  uint64 hash = 3;
}
message LabelPairAdapter {
  string name = 1;
  string value = 2;
}
message EntryAdapter {
  Timestamp timestamp = 1;
  string line = 2;
  repeated LabelPairAdapter structuredMetadata = 3;
}
message Timestamp {
  int64 seconds = 1;
  int32 nanos = 2;
}
`;

export const PushRequest = protobuf
  .parse(PUSH_PROTO, { keepCase: true })
  .root.lookupType('logproto.PushRequest');
