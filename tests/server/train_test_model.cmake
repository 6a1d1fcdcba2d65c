# CTest fixture: makes sure the server tests have a model. Uses the shipped models/digitnet.cnn when it
# exists; otherwise trains a small one (1 epoch on 20k MNIST images) into the build tree, once.
if(EXISTS "${SHIPPED}" OR EXISTS "${OUT}")
  return()
endif()
get_filename_component(out_dir "${OUT}" DIRECTORY)
file(MAKE_DIRECTORY "${out_dir}")
execute_process(COMMAND "${TRAINER}" train --data "${DATA}" --out "${OUT}" --epochs 1 --limit 20000 --quiet
                RESULT_VARIABLE result)
if(NOT result EQUAL 0)
  message(FATAL_ERROR "training the server tests' model failed (${result})")
endif()
