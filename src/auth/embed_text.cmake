# Writes OUT: a C++ function weijian::auth::NAME() returning the text of IN.
file(READ "${IN}" text)
set(body "// Generated from ${IN} by embed_text.cmake. Do not edit.\nnamespace weijian::auth {\nconst char* ${NAME}() {\n  return R\"wjembed(${text})wjembed\";\n}\n}  // namespace weijian::auth\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
