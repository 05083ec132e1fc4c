// A thin N-API wrapper over TensorFlow's C API for graphs (tensorflow/c/c_api.h):
// build a graph op by op, add its gradients, open a session and run it. The
// graph engine (src/engine/graph.ts) builds the whole training step with it,
// so that one TF_SessionRun per step does what TensorFlow Python's tf.function
// does. Nothing model-specific lives here: ops, attributes and feeds come from
// TypeScript.
//
// Handles: a graph, an operation and a session are JavaScript externals. An
// operation belongs to its graph, which the JavaScript side keeps alive. An
// output is [operation, index]. Each external is type-tagged with its kind, so that
// a graph passed where a session is expected (or any other external) is refused,
// not cast; and no C++ exception crosses into JavaScript (Export's Guarded).
#include <dlfcn.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"

namespace {

#define CHECK_NAPI(call)                 \
  do {                                   \
    if ((call) != napi_ok) return false; \
  } while (0)

// A session's lifetime: closing it waits for the runs in flight on pool threads.
struct Session {
  TF_Session* session = nullptr;
  TF_Graph* graph = nullptr;
  std::mutex mutex;
  std::condition_variable idle;
  int running = 0;
};

// The kinds of externals (random 128-bit tags, one per kind).
const napi_type_tag kGraphTag = {0x6d6e697374646565, 0x7067726170680001};
const napi_type_tag kOpTag = {0x6d6e697374646565, 0x706f706572610002};
const napi_type_tag kSessionTag = {0x6d6e697374646565, 0x7073657373690003};

// A new external of one kind (nullptr, thrown, when it cannot be made).
napi_value MakeExternal(napi_env env, void* data, const napi_type_tag& tag, napi_finalize finalize = nullptr) {
  napi_value result;
  if (napi_create_external(env, data, finalize, nullptr, &result) != napi_ok ||
      napi_type_tag_object(env, result, &tag) != napi_ok)
    return nullptr;
  return result;
}

bool Throw(napi_env env, const std::string& message) {
  napi_throw_error(env, nullptr, message.c_str());
  return false;
}

bool GetString(napi_env env, napi_value value, std::string* out) {
  size_t length = 0;
  CHECK_NAPI(napi_get_value_string_utf8(env, value, nullptr, 0, &length));
  out->resize(length + 1);
  CHECK_NAPI(napi_get_value_string_utf8(env, value, &(*out)[0], length + 1, &length));
  out->resize(length);
  return true;
}

// An external of the kind `tag` (a graph, an operation or a session), never another's.
bool GetExternal(napi_env env, napi_value value, const napi_type_tag& tag, void** out) {
  napi_valuetype type;
  bool tagged = false;
  CHECK_NAPI(napi_typeof(env, value, &type));
  if (type != napi_external) return false;
  CHECK_NAPI(napi_check_object_type_tag(env, value, &tag, &tagged));
  if (!tagged) return false;
  CHECK_NAPI(napi_get_value_external(env, value, out));
  return *out != nullptr;
}

// Whole numbers within ±2^53 only (a NaN or 1e300 cast to int64_t is undefined behaviour).
bool GetNumbers(napi_env env, napi_value array, std::vector<int64_t>* out) {
  uint32_t n = 0;
  CHECK_NAPI(napi_get_array_length(env, array, &n));
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    double v;
    CHECK_NAPI(napi_get_element(env, array, i, &item));
    CHECK_NAPI(napi_get_value_double(env, item, &v));
    if (!(v >= -9007199254740992.0 && v <= 9007199254740992.0) || v != static_cast<double>(static_cast<int64_t>(v)))
      return false;
    (*out)[i] = static_cast<int64_t>(v);
  }
  return true;
}

// [operation, index] → TF_Output.
bool GetOutput(napi_env env, napi_value value, TF_Output* out) {
  napi_value op, index;
  void* ptr;
  int32_t i;
  CHECK_NAPI(napi_get_element(env, value, 0, &op));
  CHECK_NAPI(napi_get_element(env, value, 1, &index));
  if (!GetExternal(env, op, kOpTag, &ptr)) return false;
  CHECK_NAPI(napi_get_value_int32(env, index, &i));
  out->oper = static_cast<TF_Operation*>(ptr);
  out->index = i;
  // An index past the operation's outputs would reach TensorFlow unchecked.
  return i >= 0 && i < TF_OperationNumOutputs(out->oper);
}

bool GetOutputs(napi_env env, napi_value array, std::vector<TF_Output>* out) {
  bool isArray = false;
  uint32_t n = 0;
  CHECK_NAPI(napi_is_array(env, array, &isArray));
  if (!isArray) return false;
  CHECK_NAPI(napi_get_array_length(env, array, &n));
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    CHECK_NAPI(napi_get_element(env, array, i, &item));
    if (!GetOutput(env, item, &(*out)[i])) return false;
  }
  return true;
}

bool IsOutput(napi_env env, napi_value value) {
  napi_value first;
  napi_valuetype type;
  return napi_get_element(env, value, 0, &first) == napi_ok && napi_typeof(env, first, &type) == napi_ok &&
         type == napi_external;
}

napi_value MakeOutput(napi_env env, TF_Output o) {
  napi_value pair, op = MakeExternal(env, o.oper, kOpTag), index;
  if (op == nullptr || napi_create_array_with_length(env, 2, &pair) != napi_ok ||
      napi_create_int32(env, o.index, &index) != napi_ok || napi_set_element(env, pair, 0, op) != napi_ok ||
      napi_set_element(env, pair, 1, index) != napi_ok)
    return nullptr;
  return pair;
}

// Bytes of one element of the types the engine feeds and fetches.
size_t ElementSize(TF_DataType type) {
  switch (type) {
    case TF_FLOAT:
    case TF_INT32:
      return 4;
    case TF_INT64:
    case TF_DOUBLE:
      return 8;
    case TF_BOOL:
    case TF_UINT8:
      return 1;
    default:
      return 0;
  }
}

// The typed array that carries each dtype's values (int64 as BigInt64Array, bool as Uint8Array).
napi_typedarray_type ExpectedArray(TF_DataType type) {
  switch (type) {
    case TF_FLOAT:
      return napi_float32_array;
    case TF_INT32:
      return napi_int32_array;
    case TF_INT64:
      return napi_bigint64_array;
    case TF_DOUBLE:
      return napi_float64_array;
    default:
      return napi_uint8_array;
  }
}

// [dtype, dims, typedArray] → a new TF_Tensor holding a copy of the data (null on a bad value, thrown).
TF_Tensor* GetTensor(napi_env env, napi_value value) {
  napi_value dtypeV, dimsV, dataV;
  int32_t dtype;
  std::vector<int64_t> dims;
  if (napi_get_element(env, value, 0, &dtypeV) != napi_ok || napi_get_element(env, value, 1, &dimsV) != napi_ok ||
      napi_get_element(env, value, 2, &dataV) != napi_ok || napi_get_value_int32(env, dtypeV, &dtype) != napi_ok ||
      !GetNumbers(env, dimsV, &dims)) {
    Throw(env, "a tensor is [dtype, dims, data]");
    return nullptr;
  }
  napi_typedarray_type arrayType;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  if (napi_get_typedarray_info(env, dataV, &arrayType, &length, &data, &buffer, &offset) != napi_ok) {
    Throw(env, "a tensor's data is a typed array");
    return nullptr;
  }
  size_t element = ElementSize(static_cast<TF_DataType>(dtype));
  // Every dimension known and the product within size_t: [-1, -1] multiplies to 1.
  size_t count = 1;
  bool overflow = dims.size() > 32;
  for (int64_t d : dims) overflow = overflow || d < 0 || __builtin_mul_overflow(count, static_cast<size_t>(d), &count);
  size_t bytes = 0;
  overflow = overflow || __builtin_mul_overflow(count, element, &bytes);
  if (overflow) {
    Throw(env, "a tensor's shape has a negative dimension or too many elements");
    return nullptr;
  }
  if (element == 0 || ExpectedArray(static_cast<TF_DataType>(dtype)) != arrayType || bytes != length * element) {
    Throw(env, "a tensor's data does not match its dtype and shape");
    return nullptr;
  }
  TF_Tensor* t = TF_AllocateTensor(static_cast<TF_DataType>(dtype), dims.data(), static_cast<int>(dims.size()), bytes);
  if (t == nullptr) {
    Throw(env, "out of memory for a tensor of " + std::to_string(bytes) + " bytes");
    return nullptr;
  }
  if (bytes > 0) memcpy(TF_TensorData(t), data, bytes);
  return t;
}

// One attribute: [name, kind, value].
bool SetAttr(napi_env env, TF_OperationDescription* desc, napi_value attr, TF_Status* status) {
  napi_value nameV, kindV, value;
  std::string name, kind;
  CHECK_NAPI(napi_get_element(env, attr, 0, &nameV));
  CHECK_NAPI(napi_get_element(env, attr, 1, &kindV));
  CHECK_NAPI(napi_get_element(env, attr, 2, &value));
  if (!GetString(env, nameV, &name) || !GetString(env, kindV, &kind)) return false;
  const char* n = name.c_str();
  if (kind == "int") {
    int64_t v;
    CHECK_NAPI(napi_get_value_int64(env, value, &v));
    TF_SetAttrInt(desc, n, v);
  } else if (kind == "float") {
    double v;
    CHECK_NAPI(napi_get_value_double(env, value, &v));
    TF_SetAttrFloat(desc, n, static_cast<float>(v));
  } else if (kind == "bool") {
    bool v;
    CHECK_NAPI(napi_get_value_bool(env, value, &v));
    TF_SetAttrBool(desc, n, v ? 1 : 0);
  } else if (kind == "type") {
    int32_t v;
    CHECK_NAPI(napi_get_value_int32(env, value, &v));
    TF_SetAttrType(desc, n, static_cast<TF_DataType>(v));
  } else if (kind == "string") {
    std::string v;
    if (!GetString(env, value, &v)) return false;
    TF_SetAttrString(desc, n, v.data(), v.size());
  } else if (kind == "shape") {
    std::vector<int64_t> dims;
    if (!GetNumbers(env, value, &dims)) return false;
    TF_SetAttrShape(desc, n, dims.data(), static_cast<int>(dims.size()));
  } else if (kind == "ints") {
    std::vector<int64_t> v;
    if (!GetNumbers(env, value, &v)) return false;
    TF_SetAttrIntList(desc, n, v.data(), static_cast<int>(v.size()));
  } else if (kind == "tensor") {
    TF_Tensor* t = GetTensor(env, value);
    if (t == nullptr) return false;
    TF_SetAttrTensor(desc, n, t, status);
    TF_DeleteTensor(t);
    if (TF_GetCode(status) != TF_OK) return false;
  } else {
    return Throw(env, "unknown attribute kind " + kind);
  }
  return true;
}

// op(graph, type, name, inputs, attrs, controlInputs) → operation.
// inputs: each an output [op, index] or a list of outputs (for list inputs).
napi_value AddOp(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  void* graphPtr;
  std::string type, name;
  uint32_t inputs = 0, attrs = 0, controls = 0;
  bool arrays[3] = {false, false, false};
  // Each list must be an array: a non-array's length would be left unset (and its elements read unset).
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 6 ||
      !GetExternal(env, argv[0], kGraphTag, &graphPtr) || !GetString(env, argv[1], &type) ||
      !GetString(env, argv[2], &name) || napi_is_array(env, argv[3], &arrays[0]) != napi_ok ||
      napi_is_array(env, argv[4], &arrays[1]) != napi_ok || napi_is_array(env, argv[5], &arrays[2]) != napi_ok ||
      !arrays[0] || !arrays[1] || !arrays[2] || napi_get_array_length(env, argv[3], &inputs) != napi_ok ||
      napi_get_array_length(env, argv[4], &attrs) != napi_ok ||
      napi_get_array_length(env, argv[5], &controls) != napi_ok) {
    napi_throw_type_error(env, nullptr, "op(graph, type, name, inputs[], attrs[], controlInputs[])");
    return nullptr;
  }
  TF_Graph* graph = static_cast<TF_Graph*>(graphPtr);
  TF_OperationDescription* desc = TF_NewOperation(graph, type.c_str(), name.c_str());
  TF_Status* status = TF_NewStatus();
  bool ok = true;
  for (uint32_t i = 0; ok && i < inputs; i++) {
    napi_value item;
    ok = napi_get_element(env, argv[3], i, &item) == napi_ok;
    if (ok && IsOutput(env, item)) {
      TF_Output o;
      ok = GetOutput(env, item, &o);
      if (ok) TF_AddInput(desc, o);
    } else if (ok) {
      std::vector<TF_Output> list;
      ok = GetOutputs(env, item, &list);
      if (ok) TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
    }
  }
  for (uint32_t i = 0; ok && i < attrs; i++) {
    napi_value item;
    ok = napi_get_element(env, argv[4], i, &item) == napi_ok && SetAttr(env, desc, item, status);
  }
  for (uint32_t i = 0; ok && i < controls; i++) {
    napi_value item;
    void* op;
    ok = napi_get_element(env, argv[5], i, &item) == napi_ok && GetExternal(env, item, kOpTag, &op);
    if (ok) TF_AddControlInput(desc, static_cast<TF_Operation*>(op));
  }
  // The first failure is the one to tell (an input refused above, before TensorFlow's complaint of a missing input).
  std::string failure;
  if (!ok) failure = TF_GetCode(status) != TF_OK ? TF_Message(status) : "bad inputs or attributes";
  // TF_FinishOperation must be called even after a failure, to free the description.
  TF_Operation* op = TF_FinishOperation(desc, status);
  if (ok && TF_GetCode(status) != TF_OK) failure = TF_Message(status);
  napi_value result = nullptr;
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (!failure.empty()) {
    if (!pending) Throw(env, type + " " + name + ": " + failure);
  } else {
    result = MakeExternal(env, op, kOpTag);
  }
  TF_DeleteStatus(status);
  return result;
}

void DeleteGraph(napi_env, void* data, void*) { TF_DeleteGraph(static_cast<TF_Graph*>(data)); }

napi_value NewGraph(napi_env env, napi_callback_info) {
  TF_Graph* graph = TF_NewGraph();
  napi_value result = MakeExternal(env, graph, kGraphTag, DeleteGraph);
  if (result == nullptr) {
    TF_DeleteGraph(graph);
    Throw(env, "graph: could not make its handle");
  }
  return result;
}

// gradients(graph, ys, xs) → the outputs d(sum ys)/d(xs), one per x.
napi_value Gradients(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void* graphPtr;
  std::vector<TF_Output> ys, xs;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 3 ||
      !GetExternal(env, argv[0], kGraphTag, &graphPtr) || !GetOutputs(env, argv[1], &ys) ||
      !GetOutputs(env, argv[2], &xs)) {
    napi_throw_type_error(env, nullptr, "gradients(graph, ys, xs)");
    return nullptr;
  }
  std::vector<TF_Output> dy(xs.size());
  TF_Status* status = TF_NewStatus();
  TF_AddGradients(static_cast<TF_Graph*>(graphPtr), ys.data(), static_cast<int>(ys.size()), xs.data(),
                  static_cast<int>(xs.size()), nullptr, status, dy.data());
  napi_value result = nullptr;
  if (TF_GetCode(status) != TF_OK) {
    Throw(env, std::string("gradients: ") + TF_Message(status));
  } else {
    napi_create_array_with_length(env, dy.size(), &result);
    for (size_t i = 0; i < dy.size(); i++) {
      napi_value pair = MakeOutput(env, dy[i]);
      if (pair == nullptr || napi_set_element(env, result, i, pair) != napi_ok) {
        result = nullptr;
        Throw(env, "gradients: could not make their handles");
        break;
      }
    }
  }
  TF_DeleteStatus(status);
  return result;
}

// Waits for the runs queued or in flight on pool threads (they use the session), then frees it.
void CloseAndDelete(Session* s) {
  TF_Session* session;
  {
    std::unique_lock<std::mutex> lock(s->mutex);
    s->idle.wait(lock, [s] { return s->running == 0; });
    session = s->session;
    s->session = nullptr;
  }
  if (session == nullptr) return;
  TF_Status* status = TF_NewStatus();
  TF_CloseSession(session, status);
  TF_DeleteSession(session, status);
  TF_DeleteStatus(status);
}

void FinalizeSession(napi_env, void* data, void*) {
  Session* s = static_cast<Session*>(data);
  CloseAndDelete(s);
  delete s;
}

// session(graph, config: Uint8Array (a serialized ConfigProto)) → session.
napi_value NewSession(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void* graphPtr;
  void* config = nullptr;
  size_t configBytes = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 2 ||
      !GetExternal(env, argv[0], kGraphTag, &graphPtr) ||
      napi_get_typedarray_info(env, argv[1], nullptr, &configBytes, &config, nullptr, nullptr) != napi_ok) {
    napi_throw_type_error(env, nullptr, "session(graph, config)");
    return nullptr;
  }
  TF_Status* status = TF_NewStatus();
  TF_SessionOptions* options = TF_NewSessionOptions();
  TF_SetConfig(options, config, configBytes, status);
  Session* s = new Session();
  s->graph = static_cast<TF_Graph*>(graphPtr);
  if (TF_GetCode(status) == TF_OK) s->session = TF_NewSession(s->graph, options, status);
  TF_DeleteSessionOptions(options);
  napi_value result = nullptr;
  if (TF_GetCode(status) != TF_OK) {
    Throw(env, std::string("session: ") + TF_Message(status));
    delete s;
  } else if ((result = MakeExternal(env, s, kSessionTag, FinalizeSession)) == nullptr) {
    CloseAndDelete(s);
    delete s;
    Throw(env, "session: could not make its handle");
  }
  TF_DeleteStatus(status);
  return result;
}

napi_value CloseSession(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* ptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 ||
      !GetExternal(env, argv[0], kSessionTag, &ptr)) {
    napi_throw_type_error(env, nullptr, "closeSession(session)");
    return nullptr;
  }
  CloseAndDelete(static_cast<Session*>(ptr));
  return nullptr;
}

// One TF_SessionRun, on a worker thread of libuv's pool.
struct Run {
  Session* session;
  napi_ref sessionRef;
  napi_deferred deferred;
  napi_async_work work;
  std::vector<TF_Output> inputs, outputs;
  std::vector<TF_Tensor*> inputValues, outputValues;
  std::vector<TF_Operation*> targets;
  // Set when the caller passed run options (a serialized RunOptions): the run metadata comes back too.
  TF_Buffer* runOptions = nullptr;
  TF_Buffer* runMetadata = nullptr;
  TF_Status* status = TF_NewStatus();
  ~Run() {
    if (runOptions != nullptr) TF_DeleteBuffer(runOptions);
    if (runMetadata != nullptr) TF_DeleteBuffer(runMetadata);
    for (TF_Tensor* t : inputValues) TF_DeleteTensor(t);
    for (TF_Tensor* t : outputValues)
      if (t != nullptr) TF_DeleteTensor(t);
    TF_DeleteStatus(status);
  }
};

void ExecuteRun(napi_env, void* data) {
  Run* r = static_cast<Run*>(data);
  Session* s = r->session;
  // An exception must not leave a pool thread (std::terminate): it becomes the run's status.
  // The run was counted when queued (RunSession): the session stays open until it is done.
  try {
    if (s->session == nullptr) {
      TF_SetStatus(r->status, TF_FAILED_PRECONDITION, "the session is closed");
    } else {
      TF_SessionRun(s->session, r->runOptions, r->inputs.data(), r->inputValues.data(), static_cast<int>(r->inputs.size()),
                    r->outputs.data(), r->outputValues.data(), static_cast<int>(r->outputs.size()),
                    r->targets.data(), static_cast<int>(r->targets.size()), r->runMetadata, r->status);
    }
  } catch (const std::bad_alloc&) {
    TF_SetStatus(r->status, TF_RESOURCE_EXHAUSTED, "out of memory (std::bad_alloc)");
  } catch (...) {
    TF_SetStatus(r->status, TF_INTERNAL, "TensorFlow's run failed with a C++ exception");
  }
  {
    std::lock_guard<std::mutex> lock(s->mutex);
    s->running--;
  }
  s->idle.notify_all();
}

// A TF_Buffer's bytes (a serialized protobuf) copied into a Uint8Array; nullptr when V8 refuses.
napi_value BufferToUint8Array(napi_env env, const TF_Buffer* from) {
  void* bytes = nullptr;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, from->length, &bytes, &buffer) != napi_ok ||
      napi_create_typedarray(env, napi_uint8_array, from->length, buffer, 0, &array) != napi_ok)
    return nullptr;
  if (from->length > 0) memcpy(bytes, from->data, from->length);
  return array;
}

// A fetched tensor as a typed array (int64 as Float64Array: steps and counts fit a double exactly).
napi_value ToTypedArray(napi_env env, TF_Tensor* t) {
  TF_DataType type = TF_TensorType(t);
  size_t count = static_cast<size_t>(TF_TensorElementCount(t));
  napi_typedarray_type arrayType = type == TF_INT32 ? napi_int32_array
                                   : type == TF_INT64 || type == TF_DOUBLE ? napi_float64_array
                                   : type == TF_BOOL || type == TF_UINT8   ? napi_uint8_array
                                                                           : napi_float32_array;
  size_t element = arrayType == napi_float64_array ? 8 : arrayType == napi_uint8_array ? 1 : 4;
  void* data = nullptr;
  napi_value buffer, array;
  if (napi_create_arraybuffer(env, count * element, &data, &buffer) != napi_ok || (data == nullptr && count > 0))
    return nullptr;
  if (type == TF_INT64) {
    const int64_t* from = static_cast<const int64_t*>(TF_TensorData(t));
    double* to = static_cast<double*>(data);
    for (size_t i = 0; i < count; i++) to[i] = static_cast<double>(from[i]);
  } else if (count > 0) {
    memcpy(data, TF_TensorData(t), count * element);
  }
  if (napi_create_typedarray(env, arrayType, count, buffer, 0, &array) != napi_ok) return nullptr;
  return array;
}

void Reject(napi_env env, napi_deferred deferred, const char* why) {
  napi_value message, error;
  napi_create_string_utf8(env, why, NAPI_AUTO_LENGTH, &message);
  napi_create_error(env, nullptr, message, &error);
  napi_reject_deferred(env, deferred, error);
}

// Back on the main thread: the promise settled whatever happened (a cancelled work, a fetch too large to copy).
void CompleteRun(napi_env env, napi_status workStatus, void* data) {
  Run* r = static_cast<Run*>(data);
  if (workStatus != napi_ok) {
    // Never executed: no longer counted (ExecuteRun uncounts the others).
    {
      std::lock_guard<std::mutex> lock(r->session->mutex);
      r->session->running--;
    }
    r->session->idle.notify_all();
    Reject(env, r->deferred, "the run was cancelled");
  } else if (TF_GetCode(r->status) != TF_OK) {
    Reject(env, r->deferred, TF_Message(r->status));
  } else {
    napi_value result = nullptr;
    bool ok = napi_create_array_with_length(env, r->outputValues.size(), &result) == napi_ok;
    for (size_t i = 0; ok && i < r->outputValues.size(); i++) {
      napi_value array = r->outputValues[i] == nullptr ? nullptr : ToTypedArray(env, r->outputValues[i]);
      ok = array != nullptr && napi_set_element(env, result, i, array) == napi_ok;
    }
    if (ok && r->runMetadata != nullptr) {
      napi_value metadata = BufferToUint8Array(env, r->runMetadata);
      ok = metadata != nullptr && napi_set_element(env, result, r->outputValues.size(), metadata) == napi_ok;
    }
    if (ok) {
      napi_resolve_deferred(env, r->deferred, result);
    } else {
      // A pending exception (an allocation V8 refused) would otherwise go unreported.
      napi_value ignored;
      napi_get_and_clear_last_exception(env, &ignored);
      Reject(env, r->deferred, "out of memory for the run's results");
    }
  }
  napi_delete_reference(env, r->sessionRef);
  napi_delete_async_work(env, r->work);
  delete r;
}

// The operation is one of `graph`'s (an operation of another graph would reach TF_SessionRun unchecked).
bool InGraph(TF_Graph* graph, TF_Operation* op) { return TF_GraphOperationByName(graph, TF_OperationName(op)) == op; }

// Every feed, fetch and target of a run is an operation of the session's graph.
bool RunInGraph(TF_Graph* graph, const Run& r) {
  for (const TF_Output& o : r.inputs)
    if (!InGraph(graph, o.oper)) return false;
  for (const TF_Output& o : r.outputs)
    if (!InGraph(graph, o.oper)) return false;
  for (TF_Operation* op : r.targets)
    if (!InGraph(graph, op)) return false;
  return true;
}

// run(session, feeds: [output, tensor][], fetches: output[], targets: op[], runOptions?: Uint8Array)
// → Promise<TypedArray[]>; with run options, one more element: the serialized RunMetadata.
napi_value RunSession(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  void* sessionPtr;
  void* options = nullptr;
  size_t optionBytes = 0;
  napi_valuetype optionsType = napi_undefined;
  napi_typedarray_type optionsArray = napi_uint8_array;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || (argc != 4 && argc != 5) ||
      !GetExternal(env, argv[0], kSessionTag, &sessionPtr) ||
      (argc == 5 && napi_typeof(env, argv[4], &optionsType) != napi_ok) ||
      (optionsType != napi_undefined &&
       (napi_get_typedarray_info(env, argv[4], &optionsArray, &optionBytes, &options, nullptr, nullptr) != napi_ok ||
        optionsArray != napi_uint8_array))) {
    napi_throw_type_error(env, nullptr, "run(session, feeds, fetches, targets, runOptions?: Uint8Array)");
    return nullptr;
  }
  Run* r = new Run();
  r->session = static_cast<Session*>(sessionPtr);
  if (optionsType != napi_undefined) {
    r->runOptions = TF_NewBufferFromString(options, optionBytes);
    r->runMetadata = TF_NewBuffer();
  }
  uint32_t n = 0;
  bool ok = napi_get_array_length(env, argv[1], &n) == napi_ok;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value feed, out, tensor;
    TF_Output o;
    ok = napi_get_element(env, argv[1], i, &feed) == napi_ok && napi_get_element(env, feed, 0, &out) == napi_ok &&
         napi_get_element(env, feed, 1, &tensor) == napi_ok && GetOutput(env, out, &o);
    TF_Tensor* t = ok ? GetTensor(env, tensor) : nullptr;
    ok = t != nullptr;
    if (ok) {
      r->inputs.push_back(o);
      r->inputValues.push_back(t);
    }
  }
  ok = ok && GetOutputs(env, argv[2], &r->outputs);
  r->outputValues.assign(r->outputs.size(), nullptr);
  ok = ok && napi_get_array_length(env, argv[3], &n) == napi_ok;
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value item;
    void* op;
    ok = napi_get_element(env, argv[3], i, &item) == napi_ok && GetExternal(env, item, kOpTag, &op);
    if (ok) r->targets.push_back(static_cast<TF_Operation*>(op));
  }
  if (ok && r->session->session == nullptr) {
    delete r;
    Throw(env, "run: the session is closed");
    return nullptr;
  }
  ok = ok && RunInGraph(r->session->graph, *r);
  if (!ok) {
    delete r;
    bool pending;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_type_error(env, nullptr, "run(session, feeds, fetches, targets): bad arguments");
    return nullptr;
  }
  napi_value promise, name;
  if (napi_create_promise(env, &r->deferred, &promise) != napi_ok) {
    delete r;
    return nullptr;
  }
  napi_create_reference(env, argv[0], 1, &r->sessionRef);
  napi_create_string_utf8(env, "mnist-deep graph run", NAPI_AUTO_LENGTH, &name);
  if (napi_create_async_work(env, nullptr, name, ExecuteRun, CompleteRun, r, &r->work) != napi_ok) {
    Reject(env, r->deferred, "run: could not be queued");
    napi_delete_reference(env, r->sessionRef);
    delete r;
    return promise;
  }
  {
    // Counted from now: closing the session waits for this run (CloseAndDelete).
    std::lock_guard<std::mutex> lock(r->session->mutex);
    r->session->running++;
  }
  napi_queue_async_work(env, r->work);
  return promise;
}

// Every entry point runs through this: a C++ exception (std::bad_alloc from TensorFlow, say)
// becomes a JavaScript error instead of crossing N-API (which would end the process).
// oneDnn() → { enabled, tensorflowDefault }: whether TensorFlow runs its oneDNN kernels in this process,
// and whether it would without TF_ENABLE_ONEDNN_OPTS. TensorFlow decides once, from the CPU's features
// and that variable; the C API does not say, so its own functions are looked up (C++ names, TF 2.x).
napi_value OneDnn(napi_env env, napi_callback_info) {
  using Query = bool (*)();
  napi_value result, value;
  napi_create_object(env, &result);
  void* framework = dlopen("libtensorflow_framework.so.2", RTLD_LAZY | RTLD_NOLOAD);
  if (framework == nullptr) return result;
  auto enabled = reinterpret_cast<Query>(dlsym(framework, "_ZN10tensorflow12IsMKLEnabledEv"));
  auto byDefault = reinterpret_cast<Query>(dlsym(framework, "_ZN10tensorflow19DefaultOneDnnPolicyEv"));
  if (enabled != nullptr) {
    napi_get_boolean(env, enabled(), &value);
    napi_set_named_property(env, result, "enabled", value);
  }
  if (byDefault != nullptr) {
    napi_get_boolean(env, byDefault(), &value);
    napi_set_named_property(env, result, "tensorflowDefault", value);
  }
  dlclose(framework);
  return result;
}

// graphDef(graph) → Uint8Array: the graph as a serialized GraphDef (TF_GraphToGraphDef), for export.
napi_value GraphDef(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* graphPtr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 ||
      !GetExternal(env, argv[0], kGraphTag, &graphPtr)) {
    napi_throw_type_error(env, nullptr, "graphDef(graph)");
    return nullptr;
  }
  TF_Buffer* buffer = TF_NewBuffer();
  TF_Status* status = TF_NewStatus();
  TF_GraphToGraphDef(static_cast<TF_Graph*>(graphPtr), buffer, status);
  napi_value result = nullptr;
  if (TF_GetCode(status) != TF_OK) {
    Throw(env, std::string("graphDef: ") + TF_Message(status));
  } else if ((result = BufferToUint8Array(env, buffer)) == nullptr) {
    Throw(env, "graphDef: out of memory for the GraphDef");
  }
  TF_DeleteStatus(status);
  TF_DeleteBuffer(buffer);
  return result;
}

napi_value Guarded(napi_env env, napi_callback_info info) {
  void* fn = nullptr;
  if (napi_get_cb_info(env, info, nullptr, nullptr, nullptr, &fn) != napi_ok || fn == nullptr) return nullptr;
  try {
    return reinterpret_cast<napi_callback>(fn)(env, info);
  } catch (const std::bad_alloc&) {
    Throw(env, "out of memory (std::bad_alloc)");
  } catch (const std::exception& e) {
    Throw(env, std::string("graph addon: ") + e.what());
  } catch (...) {
    Throw(env, "graph addon: a C++ exception");
  }
  return nullptr;
}

void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, Guarded, reinterpret_cast<void*>(fn), &f);
  napi_set_named_property(env, exports, name, f);
}

}  // namespace

NAPI_MODULE_INIT() {
  Export(env, exports, "graph", NewGraph);
  Export(env, exports, "op", AddOp);
  Export(env, exports, "gradients", Gradients);
  Export(env, exports, "session", NewSession);
  Export(env, exports, "closeSession", CloseSession);
  Export(env, exports, "run", RunSession);
  Export(env, exports, "oneDnn", OneDnn);
  Export(env, exports, "graphDef", GraphDef);
  napi_value version;
  napi_create_string_utf8(env, TF_Version(), NAPI_AUTO_LENGTH, &version);
  napi_set_named_property(env, exports, "tensorflowVersion", version);
  return exports;
}
