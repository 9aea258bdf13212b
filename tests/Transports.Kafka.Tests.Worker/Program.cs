// Consumes a queue and writes each handled message id to a file before the message is acknowledged:
//   Messaging.Adapters.Kafka.Tests.Worker BOOTSTRAP QUEUE OUTPUT-FILE
// It runs until it is killed; the fault test kills it with SIGKILL mid-run.
using Messaging.Adapters;
using Messaging.Adapters.Kafka;

var (bootstrap, queue, output) = (args[0], args[1], args[2]);
await using var transport = new KafkaTransport(new KafkaTransportOptions
{
    BootstrapServers = bootstrap,
    ClientId = "kill-worker",
    SessionTimeout = TimeSpan.FromSeconds(3),
    CommitInterval = TimeSpan.FromMilliseconds(200),
});
await using var file = new StreamWriter(output, append: true) { AutoFlush = true };
var gate = new SemaphoreSlim(1, 1);
await using var consumer = await transport.Queue.ConsumeAsync(
    queue,
    async (message, cancellationToken) =>
    {
        await Task.Delay(1, cancellationToken);
        await gate.WaitAsync(cancellationToken);
        try
        {
            await file.WriteLineAsync(message.Envelope.Id);
        }
        finally
        {
            gate.Release();
        }
    },
    new ConsumerOptions { MaxInFlight = 32 });
Console.WriteLine("consuming");
await Task.Delay(Timeout.Infinite);
