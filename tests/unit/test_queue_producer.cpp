#include <jq/queue/producer.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using jq::queue::NewJob;
using jq::queue::Producer;

namespace {

std::size_t batch_of(const std::vector<NewJob>& jobs)
{
  std::vector<const NewJob*> pointers;
  for (const auto& job : jobs) {
    pointers.push_back(&job);
  }
  return Producer::batch_size(pointers);
}

NewJob job_of(std::size_t bytes)
{
  NewJob job;
  job.data = std::string(bytes, 'x');
  return job;
}

} // namespace

TEST_CASE("Producer::batch_size: up to k_batch small jobs in one call")
{
  CHECK(batch_of({}) == 0);
  CHECK(batch_of(std::vector<NewJob>(3, job_of(10))) == 3);
  CHECK(batch_of(std::vector<NewJob>(Producer::k_batch + 7, job_of(10)))
        == Producer::k_batch);
}

TEST_CASE("Producer::batch_size: large jobs share a call up to k_batch_bytes")
{
  const std::size_t quarter = Producer::k_batch_bytes / 4;
  CHECK(batch_of(std::vector<NewJob>(5, job_of(quarter))) == 4);
  CHECK(batch_of(std::vector<NewJob>(5, job_of(quarter + 1))) == 3);
  // A job larger than a call's bytes goes alone, first or next.
  const std::vector<NewJob> big{job_of(Producer::k_batch_bytes + 1),
                                job_of(10)};
  CHECK(batch_of(big) == 1);
  const std::vector<NewJob> small_first{job_of(10),
                                        job_of(Producer::k_batch_bytes)};
  CHECK(batch_of(small_first) == 1);
}

TEST_CASE("Producer::add_call: jobs that share a run's values share its header")
{
  // add_jobs.lua reads: base, token, then per run its count, name,
  // timestamp, delay ms, priority and lifo flag, then id, data, opts a job.
  const Producer producer(jq::queue::Keys("bull", "q"));
  std::vector<NewJob> jobs(5);
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    jobs[i].data = "d" + std::to_string(i);
    jobs[i].timestamp = 1000;
    jobs[i].options.job_id = "j" + std::to_string(i);
  }
  jobs[2].options.priority = 3; // a run of its own
  jobs[4].timestamp = 999;      // added again: keeps its first time
  std::vector<const NewJob*> pointers;
  for (const auto& job : jobs) {
    pointers.push_back(&job);
  }
  const auto call = producer.add_call(pointers);
  REQUIRE(call.args.size() == 2 + 4 * 6 + 5 * 3);
  CHECK(call.args[0] == "bull:q:");
  const auto header = [&](std::size_t at) {
    return std::vector<std::string>(call.args.begin() + at,
                                    call.args.begin() + at + 6);
  };
  using Strings = std::vector<std::string>;
  CHECK(header(2) == Strings{"2", "__default__", "1000", "0", "0", "0"});
  CHECK(call.args[8] == "j0");
  CHECK(call.args[9] == "d0");
  CHECK(call.args[10].find(R"("jobId":"j0")") != std::string::npos);
  CHECK(call.args[11] == "j1");
  CHECK(header(14) == Strings{"1", "__default__", "1000", "0", "3", "0"});
  CHECK(call.args[20] == "j2");
  CHECK(header(23) == Strings{"1", "__default__", "1000", "0", "0", "0"});
  CHECK(call.args[29] == "j3");
  CHECK(header(32) == Strings{"1", "__default__", "999", "0", "0", "0"});
  CHECK(call.args[38] == "j4");
  CHECK(call.args[40].find(R"("timestamp":999)") != std::string::npos);
}
