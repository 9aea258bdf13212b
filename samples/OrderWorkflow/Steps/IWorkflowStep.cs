namespace OrderWorkflow.Steps;

/// <summary>
/// One chapter of the story. It prints what happens and records in the <see cref="Story.Checklist"/> what it
/// expected and whether it happened.
/// </summary>
internal interface IWorkflowStep
{
    string Title { get; }

    Task RunAsync(CancellationToken cancellationToken);
}
