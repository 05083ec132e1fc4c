# mnist-deep's own small addon, built by `mnist-deep native` (see quiet.cc).
{
  'targets': [{
    'target_name': 'mnist_deep_quiet',
    'sources': ['quiet.cc'],
    'libraries': ['-ldl'],
    'defines': ['NAPI_VERSION=8'],
  }],
}
