// Loads shared libraries with stderr pointed at /dev/null, so that what they
// print while loading (TensorFlow logs a oneDNN notice from a static
// initializer, before its TF_CPP_MIN_LOG_LEVEL applies) is not shown.
// mnist-deep calls load() with TensorFlow's two libraries before requiring
// @tensorflow/tfjs-node, whose binding then reuses the loaded libraries.
#include <dlfcn.h>
#include <fcntl.h>
#include <node_api.h>
#include <stdio.h>
#include <unistd.h>

#include <string>

static bool StringArg(napi_env env, napi_value value, std::string* out) {
  size_t length = 0;
  if (napi_get_value_string_utf8(env, value, nullptr, 0, &length) != napi_ok) return false;
  out->resize(length + 1);
  if (napi_get_value_string_utf8(env, value, &(*out)[0], length + 1, &length) != napi_ok) return false;
  out->resize(length);
  return true;
}

// load(paths: string[]): dlopen()s each, RTLD_NOW | RTLD_GLOBAL, in order.
static napi_value Load(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  uint32_t count = 0;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok || argc != 1 ||
      napi_get_array_length(env, argv[0], &count) != napi_ok) {
    napi_throw_type_error(env, nullptr, "load(paths: string[])");
    return nullptr;
  }
  std::string error;
  fflush(stderr);
  int saved = dup(2);
  int devnull = open("/dev/null", O_WRONLY);
  if (saved >= 0 && devnull >= 0) dup2(devnull, 2);
  for (uint32_t i = 0; i < count && error.empty(); i++) {
    napi_value item;
    std::string path;
    if (napi_get_element(env, argv[0], i, &item) != napi_ok || !StringArg(env, item, &path)) {
      error = "load(paths: string[]): not a string";
    } else if (dlopen(path.c_str(), RTLD_NOW | RTLD_GLOBAL) == nullptr) {
      const char* why = dlerror();
      error = why ? why : "dlopen failed";
    }
  }
  fflush(stderr);
  if (saved >= 0 && devnull >= 0) dup2(saved, 2);
  if (saved >= 0) close(saved);
  if (devnull >= 0) close(devnull);
  if (!error.empty()) napi_throw_error(env, nullptr, error.c_str());
  return nullptr;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  napi_create_function(env, "load", NAPI_AUTO_LENGTH, Load, nullptr, &fn);
  napi_set_named_property(env, exports, "load", fn);
  return exports;
}
