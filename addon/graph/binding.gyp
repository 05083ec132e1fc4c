# The graph addon (graph.cc: TensorFlow's C API for graphs), built by
# `mnist-deep native` against the libraries and headers it caches;
# tensorflow.gypi, written by the build next to this file, says where they
# are (variable tf_dir).
{
  'includes': ['tensorflow.gypi'],
  'targets': [{
    'target_name': 'mnist_deep_graph',
    'sources': ['graph.cc'],
    'include_dirs': ['<(tf_dir)/include'],
    'libraries': [
      '-L<(tf_dir)/lib',
      '-l:libtensorflow_cc.so.2',
      '-l:libtensorflow_framework.so.2',
      '-Wl,-rpath,<(tf_dir)/lib',
    ],
    # Exceptions on (node-gyp turns them off): graph.cc catches what TensorFlow throws
    # (std::bad_alloc) so that it becomes an error, not an abort.
    'cflags!': ['-fno-exceptions'],
    'cflags_cc!': ['-fno-exceptions'],
    'cflags_cc': ['-std=c++17', '-fexceptions'],
    'defines': ['NAPI_VERSION=8'],
  }],
}
