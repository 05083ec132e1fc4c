// A thin N-API wrapper over TensorFlow's C API for graphs (tensorflow/c/c_api.h):
// build a graph op by op, add its gradients, open a session and run it. The
// graph engine (src/engine/graph.ts) builds the whole training step with it,
// so that one TF_SessionRun per step does what TensorFlow Python's tf.function
// does. Nothing model-specific lives here: ops, attributes and feeds come from
// TypeScript.
//
// Handles: a graph, an operation and a session are JavaScript externals. An
// operation belongs to its graph, which the JavaScript side keeps alive. An
// output is [operation, index].
#include <dlfcn.h>
#include <node_api.h>
#include <stdint.h>
#include <string.h>

#include <string>
#include <vector>

#include "tensorflow/c/c_api.h"

namespace {

#define CHECK_NAPI(call)                 \
  do {                                   \
    if ((call) != napi_ok) return false; \
  } while (0)

struct Session {
  TF_Session* session = nullptr;
  TF_Graph* graph = nullptr;
};

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

bool GetExternal(napi_env env, napi_value value, void** out) {
  napi_valuetype type;
  CHECK_NAPI(napi_typeof(env, value, &type));
  if (type != napi_external) return false;
  CHECK_NAPI(napi_get_value_external(env, value, out));
  return *out != nullptr;
}

bool GetNumbers(napi_env env, napi_value array, std::vector<int64_t>* out) {
  uint32_t n = 0;
  CHECK_NAPI(napi_get_array_length(env, array, &n));
  out->resize(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value item;
    double v;
    CHECK_NAPI(napi_get_element(env, array, i, &item));
    CHECK_NAPI(napi_get_value_double(env, item, &v));
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
  if (!GetExternal(env, op, &ptr)) return false;
  CHECK_NAPI(napi_get_value_int32(env, index, &i));
  out->oper = static_cast<TF_Operation*>(ptr);
  out->index = i;
  return true;
}

bool GetOutputs(napi_env env, napi_value array, std::vector<TF_Output>* out) {
  uint32_t n = 0;
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
  napi_value pair, op, index;
  napi_create_array_with_length(env, 2, &pair);
  napi_create_external(env, o.oper, nullptr, nullptr, &op);
  napi_create_int32(env, o.index, &index);
  napi_set_element(env, pair, 0, op);
  napi_set_element(env, pair, 1, index);
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
  size_t count = 1;
  for (int64_t d : dims) count *= static_cast<size_t>(d);
  size_t bytes = count * element;
  if (element == 0 || ExpectedArray(static_cast<TF_DataType>(dtype)) != arrayType || bytes != length * element) {
    Throw(env, "a tensor's data does not match its dtype and shape");
    return nullptr;
  }
  TF_Tensor* t = TF_AllocateTensor(static_cast<TF_DataType>(dtype), dims.data(), static_cast<int>(dims.size()), bytes);
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
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 6 ||
      !GetExternal(env, argv[0], &graphPtr) || !GetString(env, argv[1], &type) || !GetString(env, argv[2], &name)) {
    napi_throw_type_error(env, nullptr, "op(graph, type, name, inputs, attrs, controlInputs)");
    return nullptr;
  }
  TF_Graph* graph = static_cast<TF_Graph*>(graphPtr);
  TF_OperationDescription* desc = TF_NewOperation(graph, type.c_str(), name.c_str());
  TF_Status* status = TF_NewStatus();
  bool ok = true;
  uint32_t n = 0;
  napi_get_array_length(env, argv[3], &n);
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value item;
    napi_get_element(env, argv[3], i, &item);
    if (IsOutput(env, item)) {
      TF_Output o;
      ok = GetOutput(env, item, &o);
      if (ok) TF_AddInput(desc, o);
    } else {
      std::vector<TF_Output> list;
      ok = GetOutputs(env, item, &list);
      if (ok) TF_AddInputList(desc, list.data(), static_cast<int>(list.size()));
    }
  }
  napi_get_array_length(env, argv[4], &n);
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value item;
    napi_get_element(env, argv[4], i, &item);
    ok = SetAttr(env, desc, item, status);
  }
  napi_get_array_length(env, argv[5], &n);
  for (uint32_t i = 0; ok && i < n; i++) {
    napi_value item;
    void* op;
    napi_get_element(env, argv[5], i, &item);
    ok = GetExternal(env, item, &op);
    if (ok) TF_AddControlInput(desc, static_cast<TF_Operation*>(op));
  }
  // TF_FinishOperation must be called even after a failure, to free the description.
  TF_Operation* op = TF_FinishOperation(desc, status);
  napi_value result = nullptr;
  bool pending;
  napi_is_exception_pending(env, &pending);
  if (TF_GetCode(status) != TF_OK) {
    if (!pending) Throw(env, std::string(type) + " " + name + ": " + TF_Message(status));
  } else if (!ok) {
    if (!pending) Throw(env, std::string(type) + " " + name + ": bad inputs or attributes");
  } else {
    napi_create_external(env, op, nullptr, nullptr, &result);
  }
  TF_DeleteStatus(status);
  return result;
}

void DeleteGraph(napi_env, void* data, void*) { TF_DeleteGraph(static_cast<TF_Graph*>(data)); }

napi_value NewGraph(napi_env env, napi_callback_info) {
  napi_value result;
  napi_create_external(env, TF_NewGraph(), DeleteGraph, nullptr, &result);
  return result;
}

// gradients(graph, ys, xs) → the outputs d(sum ys)/d(xs), one per x.
napi_value Gradients(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  void* graphPtr;
  std::vector<TF_Output> ys, xs;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 3 ||
      !GetExternal(env, argv[0], &graphPtr) || !GetOutputs(env, argv[1], &ys) || !GetOutputs(env, argv[2], &xs)) {
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
    for (size_t i = 0; i < dy.size(); i++) napi_set_element(env, result, i, MakeOutput(env, dy[i]));
  }
  TF_DeleteStatus(status);
  return result;
}

void CloseAndDelete(Session* s) {
  if (s->session == nullptr) return;
  TF_Status* status = TF_NewStatus();
  TF_CloseSession(s->session, status);
  TF_DeleteSession(s->session, status);
  TF_DeleteStatus(status);
  s->session = nullptr;
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
      !GetExternal(env, argv[0], &graphPtr) ||
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
  } else {
    napi_create_external(env, s, FinalizeSession, nullptr, &result);
  }
  TF_DeleteStatus(status);
  return result;
}

napi_value CloseSession(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void* ptr;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 ||
      !GetExternal(env, argv[0], &ptr)) {
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
  if (r->session->session == nullptr) {
    TF_SetStatus(r->status, TF_FAILED_PRECONDITION, "the session is closed");
    return;
  }
  TF_SessionRun(r->session->session, r->runOptions, r->inputs.data(), r->inputValues.data(),
                static_cast<int>(r->inputs.size()), r->outputs.data(), r->outputValues.data(),
                static_cast<int>(r->outputs.size()), r->targets.data(), static_cast<int>(r->targets.size()), r->runMetadata,
                r->status);
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
  void* data;
  napi_value buffer, array;
  napi_create_arraybuffer(env, count * element, &data, &buffer);
  if (type == TF_INT64) {
    const int64_t* from = static_cast<const int64_t*>(TF_TensorData(t));
    double* to = static_cast<double*>(data);
    for (size_t i = 0; i < count; i++) to[i] = static_cast<double>(from[i]);
  } else if (count > 0) {
    memcpy(data, TF_TensorData(t), count * element);
  }
  napi_create_typedarray(env, arrayType, count, buffer, 0, &array);
  return array;
}

void CompleteRun(napi_env env, napi_status, void* data) {
  Run* r = static_cast<Run*>(data);
  if (TF_GetCode(r->status) != TF_OK) {
    napi_value message, error;
    napi_create_string_utf8(env, TF_Message(r->status), NAPI_AUTO_LENGTH, &message);
    napi_create_error(env, nullptr, message, &error);
    napi_reject_deferred(env, r->deferred, error);
  } else {
    napi_value result;
    napi_create_array_with_length(env, r->outputValues.size(), &result);
    for (size_t i = 0; i < r->outputValues.size(); i++)
      napi_set_element(env, result, i, ToTypedArray(env, r->outputValues[i]));
    if (r->runMetadata != nullptr) {
      void* bytes;
      napi_value buffer, array;
      napi_create_arraybuffer(env, r->runMetadata->length, &bytes, &buffer);
      if (r->runMetadata->length > 0) memcpy(bytes, r->runMetadata->data, r->runMetadata->length);
      napi_create_typedarray(env, napi_uint8_array, r->runMetadata->length, buffer, 0, &array);
      napi_set_element(env, result, r->outputValues.size(), array);
    }
    napi_resolve_deferred(env, r->deferred, result);
  }
  napi_delete_reference(env, r->sessionRef);
  napi_delete_async_work(env, r->work);
  delete r;
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
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || (argc != 4 && argc != 5) ||
      !GetExternal(env, argv[0], &sessionPtr) ||
      (argc == 5 && napi_typeof(env, argv[4], &optionsType) != napi_ok) ||
      (optionsType != napi_undefined &&
       napi_get_typedarray_info(env, argv[4], nullptr, &optionBytes, &options, nullptr, nullptr) != napi_ok)) {
    napi_throw_type_error(env, nullptr, "run(session, feeds, fetches, targets, runOptions?)");
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
    ok = napi_get_element(env, argv[3], i, &item) == napi_ok && GetExternal(env, item, &op);
    if (ok) r->targets.push_back(static_cast<TF_Operation*>(op));
  }
  if (!ok) {
    delete r;
    bool pending;
    napi_is_exception_pending(env, &pending);
    if (!pending) napi_throw_type_error(env, nullptr, "run(session, feeds, fetches, targets): bad arguments");
    return nullptr;
  }
  napi_value promise, name;
  napi_create_promise(env, &r->deferred, &promise);
  napi_create_reference(env, argv[0], 1, &r->sessionRef);
  napi_create_string_utf8(env, "mnist-deep graph run", NAPI_AUTO_LENGTH, &name);
  napi_create_async_work(env, nullptr, name, ExecuteRun, CompleteRun, r, &r->work);
  napi_queue_async_work(env, r->work);
  return promise;
}

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
      !GetExternal(env, argv[0], &graphPtr)) {
    napi_throw_type_error(env, nullptr, "graphDef(graph)");
    return nullptr;
  }
  TF_Buffer* buffer = TF_NewBuffer();
  TF_Status* status = TF_NewStatus();
  TF_GraphToGraphDef(static_cast<TF_Graph*>(graphPtr), buffer, status);
  napi_value result = nullptr;
  if (TF_GetCode(status) != TF_OK) {
    Throw(env, std::string("graphDef: ") + TF_Message(status));
  } else {
    void* bytes;
    napi_value arrayBuffer;
    napi_create_arraybuffer(env, buffer->length, &bytes, &arrayBuffer);
    if (buffer->length > 0) memcpy(bytes, buffer->data, buffer->length);
    napi_create_typedarray(env, napi_uint8_array, buffer->length, arrayBuffer, 0, &result);
  }
  TF_DeleteStatus(status);
  TF_DeleteBuffer(buffer);
  return result;
}

void Export(napi_env env, napi_value exports, const char* name, napi_callback fn) {
  napi_value f;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, fn, nullptr, &f);
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
