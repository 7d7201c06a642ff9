// A valid shared object that exports no `socrates_plugin` descriptor.
extern "C" __attribute__((visibility("default"))) int not_a_socrates_plugin() { return 42; }
