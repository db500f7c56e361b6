# Writes OUT: a C++ function NAME() returning the text of IN.
file(READ "${IN}" text)
set(body "// Generated from ${IN} by embed_file.cmake. Do not edit.\nnamespace weijian::cli {\nconst char* ${NAME}() {\n  return R\"wjembed(${text})wjembed\";\n}\n}  // namespace weijian::cli\n")
file(WRITE "${OUT}.tmp" "${body}")
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different "${OUT}.tmp" "${OUT}")
