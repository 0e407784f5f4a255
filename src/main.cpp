#include <choline/cli/app.hpp>

int main(int argc, char** argv) { return choline::app_main(argc, argv); }
