// Calls a function that is defined nowhere, so RTLD_NOW fails with "undefined symbol".
extern "C" int socrates_test_function_defined_nowhere(int);
extern "C" __attribute__((visibility("default"))) int call_missing(int x) {
  return socrates_test_function_defined_nowhere(x);
}
